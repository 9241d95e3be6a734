// MIME, SMTP and the mail catcher live beside this file.
