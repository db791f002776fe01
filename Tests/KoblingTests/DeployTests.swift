import Foundation
import GRDB
import Storage
import Testing

/// The deployment files work: the systemd units pass `systemd-analyze verify`, and the commands
/// the units and the container run do what they are there for, against a real server.
@Suite struct DeployTests {
    static let deploy = SMTPTestServer.root.appendingPathComponent("deploy")

    /// The units with the install paths pointed at this build and a scratch folder.
    static func installedUnits(in folder: URL, dataDirectory: String = "/var/lib/kobling") throws -> [URL] {
        try ["kobling.service", "kobling-backup.service", "kobling-backup.timer", "kobling.env"].map { name in
            let text = try String(contentsOf: deploy.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "/opt/kobling/kobling", with: ServerProcess.binary.path)
                .replacingOccurrences(of: "WorkingDirectory=/opt/kobling", with: "WorkingDirectory=\(folder.path)")
                .replacingOccurrences(of: "/etc/kobling/kobling.env", with: folder.appendingPathComponent("kobling.env").path)
                .replacingOccurrences(of: "/var/lib/kobling", with: dataDirectory)
            let file = folder.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return file
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let (status, data) = try ChildProcess.run(
            URL(fileURLWithPath: executable), arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, errors: .withOutput)
        return (status, String(decoding: data, as: UTF8.self))
    }

    @Test func theSystemdUnitsVerify() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is missing: run scripts/setup --test")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let units = try Self.installedUnits(in: folder).filter { $0.pathExtension != "env" }
        let result = try Self.run(analyze, ["verify"] + units.map(\.path))
        #expect(result.status == 0, "\(result.output)")
        // Warnings (an unknown key, a misspelt section) do not change the exit status: none is allowed.
        #expect(result.output.isEmpty, "\(result.output)")
    }

    /// What the container's HEALTHCHECK runs, with the image's settings.
    @Test func theHealthCommandSaysWhetherTheServerIsReady() async throws {
        let server = try await ServerProcess()
        let port = server.port
        let ready = try await blocking {
            try Self.run(ServerProcess.binary.path, ["health"], environment: ["KOBLING_HOST": "0.0.0.0", "KOBLING_PORT": "\(port)"])
        }
        #expect(ready.status == 0, "\(ready.output)")
        server.stop()
        let gone = try await blocking {
            try Self.run(ServerProcess.binary.path, ["health", "--timeout", "2"], environment: ["KOBLING_HOST": "0.0.0.0", "KOBLING_PORT": "\(port)"])
        }
        #expect(gone.status == 1)
        #expect(gone.output.hasPrefix("not ready"), "\(gone.output)")
    }

    /// The backup service's commands, as systemd would run them, beside a live server: a
    /// consistent copy of the database appears, and copies older than 14 days are removed.
    @Test func theBackupServiceMakesACopyOfTheLiveDatabaseAndPrunesOldOnes() async throws {
        let server = try await ServerProcess()
        _ = try server.seedDemo()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kobling-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let units = try Self.installedUnits(in: folder, dataDirectory: server.folder.path)
        let unit = try String(contentsOf: try #require(units.first { $0.lastPathComponent == "kobling-backup.service" }), encoding: .utf8)
        let commands = unit.split(separator: "\n").compactMap { line -> String? in
            for key in ["ExecStartPre=", "ExecStart=", "ExecStartPost="] where line.hasPrefix(key) {
                // systemd turns %% into %; the lines are otherwise shell commands.
                return String(line.dropFirst(key.count)).replacingOccurrences(of: "%%", with: "%")
            }
            return nil
        }
        #expect(commands.count == 3)
        let backups = server.folder.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let old = backups.appendingPathComponent("kobling-20260101T031500Z.sqlite")
        let oldJournal = backups.appendingPathComponent("kobling-20260101T031500Z.sqlite-deliveries")
        for file in [old, oldJournal] {
            FileManager.default.createFile(atPath: file.path, contents: Data("old".utf8))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -20 * 86400)], ofItemAtPath: file.path)
        }

        for command in commands {
            let result = try await blocking {
                try Self.run("/bin/sh", ["-c", command], environment: ["KOBLING_DATA_DIR": server.folder.path, "KOBLING_LOG_LEVEL": "error"])
            }
            #expect(result.status == 0, "\(command): \(result.output)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: backups.path)
        // A copy of the delivery journal sits beside a copy when the server had taken mail not yet recorded.
        let made = left.filter { $0.hasPrefix("kobling-") && $0.hasSuffix(".sqlite") }
        #expect(made.count == 1 && made.first != old.lastPathComponent, "\(made)")
        #expect(!left.contains(oldJournal.lastPathComponent), "an old journal copy goes with its copy")
        let copy = try DatabaseQueue(path: backups.appendingPathComponent(try #require(made.first)).path)
        let people = try await copy.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person") ?? 0 }
        #expect(people >= 39)
        #expect(try await copy.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
    }
}
