import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// Rolls a release out: (1) the store schemas get the version's pending store migrations,
/// (2) the shared cell(s), (3) the dedicated cells — the canary batch, then batches of N. After
/// each batch the health gate decides; a failing batch is rolled back and the release stops
/// as `failed` with the reason, leaving untouched cells where they were.
///
/// Progress lives in `lumora.release_cells`, one row per cell: a manager killed mid-release
/// resumes from there (a cell recorded `updated` is not updated again; one caught `updating`
/// is brought to the new version, which the runtime does idempotently). Pause and abort are
/// honoured at batch boundaries.
struct ReleaseJob: JobHandler {
    let platform: Platform
    let migrations: LiveMigrationSet
    let migrationConcurrency: Int

    private var client: PostgresClient { platform.client }
    private var logger: Logger { platform.logger }

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let id = job.payload["release"].flatMap(Int64.init) else { throw PermanentJobFailure("the job names no release") }
        let service = ReleaseService(platform: platform)
        var release = try await service.release(id)
        guard release.isInProgress else { return }

        try await steps.step("plan") { try await client.query(ReleaseSQL.plan(id), logger: logger).drain() }
        if release.phase == .schema {
            try await migrateSchemas(release)
            release = try await service.release(id)
        }

        var replanned = false
        while true {
            release = try await service.release(id)
            if release.state == .paused {
                // The job waits (keeping its lease) rather than ending: resuming is then just a
                // state change, and no second job can ever race this one.
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            guard release.state == .running else {
                logger.info("release stopped at a batch boundary", metadata: ["release": "\(id)", "state": "\(release.state.rawValue)"])
                return
            }
            let cells = try await service.status(id).cells
            guard let batch = cells.filter({ [.pending, .updating].contains($0.state) }).map(\.batch).min() else {
                // Stores made (or moved to a dedicated cell) during the release join as a last batch.
                if !replanned, try await client.query(ReleaseSQL.plan(id), logger: logger).hasRows() {
                    replanned = true
                    continue
                }
                break
            }
            try await roll(batch: batch, of: release, cells: cells.filter { $0.batch == batch })
            if batch == 0 { try await client.query(ReleaseSQL.setPhase(id, .dedicated), logger: logger).drain() }
            if batch == 1, release.pauseAfterCanary {
                _ = try await client.query(ReleaseSQL.transition(id, to: .paused, from: [.running], reason: "paused after the canary batch"),
                                           logger: logger).drain()
            }
        }
        _ = try await client.query(ReleaseSQL.transition(id, to: .succeeded, from: [.running], reason: nil), logger: logger).drain()
        logger.info("release succeeded", metadata: ["release": "\(id)", "version": "\(release.version)"])
    }

    func gaveUp(_ job: JobRecord, error: String) async {
        guard let id = job.payload["release"].flatMap(Int64.init) else { return }
        _ = try? await client.query(ReleaseSQL.transition(id, to: .failed, from: [.running, .paused], reason: error), logger: logger).drain()
    }

    // MARK: Phases

    /// The version's store migrations, over every schema (live stores and the warm pool). New
    /// schemas are built with the newer set from here on, so none is left behind.
    private func migrateSchemas(_ release: ReleaseRecord) async throws {
        var set = migrations.current
        if let binary = release.binary {
            do {
                set = try MigrationSet.store(shippedWith: URL(fileURLWithPath: binary))
            } catch {
                try await fail(release, "\(error)")
            }
        }
        migrations.adopt(set)
        // Schemas being built with the old set right now are registered before the migrator
        // looks; every one built after this point uses the new set.
        try await SchemaPool.waitForBuildsInFlight(client: client, logger: logger)
        let migrator = StoreSchemaMigrator(client: client, migrations: migrations.current, concurrency: migrationConcurrency, logger: logger)
        let report: StoreMigrationReport
        do {
            report = try await migrator.migrateAll(allowIncompatible: release.allowIncompatible)
        } catch let error as MigrationError {
            try await fail(release, "\(error)")
        }
        guard report.succeeded else {
            let first = report.failures.prefix(3).map(\.description).joined(separator: "; ")
            try await fail(release, "store migrations failed for \(report.failures.count) schema(s): \(first)")
        }
        try await client.query(ReleaseSQL.recordSchemas(release.id, migrated: report.migrated.count), logger: logger).drain()
        logger.info("store schemas migrated", metadata: ["release": "\(release.id)", "schemas": "\(report.migrated.count)"])
    }

    /// Updates a batch's cells side by side, then gates it; rolls it back if it fails.
    private func roll(batch: Int, of release: ReleaseRecord, cells: [ReleaseCell]) async throws {
        let target = release.cellVersion
        let outcomes = try await withThrowingTaskGroup(of: (ReleaseCell, Result<RunningCell, any Error>).self) { group in
            for cell in cells where cell.state == .pending || cell.state == .updating {
                group.addTask {
                    let rows = try await client.query(ReleaseSQL.markUpdating(release.id, cell: cell.cellID), logger: logger)
                        .collect((String?, String?, String?).self)
                    guard let previous = rows.first else { return (cell, .failure(LumoraError.notFound("cell_not_found", "\(cell.cellID) no longer runs"))) }
                    let cell = ReleaseCell(cellID: cell.cellID, store: cell.store, batch: cell.batch, state: .updating, fromVersion: previous.0,
                                           fromBinary: previous.1, fromImage: previous.2, endpoint: nil, error: nil)
                    do {
                        let running = try await platform.runtime.ensure(try spec(cell, version: target))
                        try await client.query(ReleaseSQL.markCell(release.id, cell: cell.cellID, state: .updated, endpoint: running.endpoint),
                                               logger: logger).drain()
                        return (cell, .success(running))
                    } catch {
                        return (cell, .failure(error))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var updated = cells.filter { $0.state == .updated }.compactMap { cell in
            cell.endpoint.map { RunningCell(id: cell.cellID, endpoint: $0, version: target.name) }
        }
        var problems: [String] = []
        for (cell, outcome) in outcomes {
            switch outcome {
            case .success(let running): updated.append(running)
            case .failure(let error):
                problems.append("\(cell.cellID): \(JobRunner.describe(error))")
                try await client.query(ReleaseSQL.markCell(release.id, cell: cell.cellID, state: .failed, error: JobRunner.describe(error)),
                                       logger: logger).drain()
            }
        }
        if problems.isEmpty, batch > release.gatedBatch {
            let gate = HealthGate(window: .milliseconds(release.healthWindowMilliseconds), maxErrorRate: release.maxErrorRate,
                                  metricsToken: platform.configuration.cellMetricsToken)
            if let unhealthy = await gate.check(updated) {
                problems.append(unhealthy)
            }
        }
        guard !problems.isEmpty else {
            try await client.query(ReleaseSQL.passGate(release.id, batch: batch), logger: logger).drain()
            logger.info("release batch healthy", metadata: ["release": "\(release.id)", "batch": "\(batch)", "cells": "\(updated.count)"])
            return
        }
        await rollBack(batch: batch, of: release)
        let name = batch == 0 ? "the shared cells" : batch == 1 ? "the canary batch" : "batch \(batch)"
        try await fail(release, "\(name) failed its health check and was rolled back: \(problems.joined(separator: "; "))")
    }

    /// Every cell of the batch back on the version it ran before the release.
    private func rollBack(batch: Int, of release: ReleaseRecord) async {
        guard let cells = try? await ReleaseService(platform: platform).status(release.id).cells.filter({ $0.batch == batch }) else { return }
        await withTaskGroup(of: Void.self) { group in
            for cell in cells where [.updating, .updated, .failed].contains(cell.state) {
                guard let previous = cell.previousVersion else { continue }
                group.addTask {
                    do {
                        _ = try await platform.runtime.rollback(try spec(cell, version: previous))
                        try await client.query(ReleaseSQL.markCell(release.id, cell: cell.cellID, state: .rolledBack, error: cell.error),
                                               logger: logger).drain()
                    } catch {
                        logger.error("could not roll a cell back", metadata: ["cell": "\(cell.cellID)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    private func spec(_ cell: ReleaseCell, version: CellVersion) throws -> CellSpec {
        guard let store = cell.store else { return .shared(id: cell.cellID, version: version) }
        return .dedicated(try StoreSlug(validating: store), version: version)
    }

    /// Records the failure and ends the job for good: retrying a failed release needs an operator.
    private func fail(_ release: ReleaseRecord, _ reason: String) async throws -> Never {
        _ = try await client.query(ReleaseSQL.transition(release.id, to: .failed, from: [.running, .paused], reason: reason), logger: logger).drain()
        logger.error("release failed", metadata: ["release": "\(release.id)", "reason": "\(reason)"])
        throw PermanentJobFailure(reason)
    }
}
