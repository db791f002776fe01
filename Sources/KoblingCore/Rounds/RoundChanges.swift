import Foundation

/// Applies a merge patch to a round's settings, validating every field. Tag, organisation and
/// pitch ids are the caller's to check, which knows them.
public enum RoundChanges {
    public static let fields: Set<String> = [
        "name", "kind", "pitches", "solvers", "groupSize", "capacity", "roleBonus", "requireRoles", "weights",
        "candidatesPerPitch", "mode", "fitFloor", "answerDeadline",
    ]

    public static func apply(_ body: JSONValue, to round: Round, creating: Bool) throws(KoblingError) -> Round {
        var patch = try MergePatch(body, allowed: fields)
        var result = round
        if case .set(let name) = patch.string("name", maxLength: 200, allowEmpty: false, required: creating) { result.name = name }
        if case .set(let raw) = patch.string("kind", maxLength: 20) {
            if let kind = RoundKind(rawValue: raw) {
                result.kind = kind
            } else {
                patch.validator.add("/kind", "Expected pitches or mentoring.")
            }
        }
        if let raw = patch.raw("pitches") { result.pitches = readPitches(raw, onto: result.pitches, validator: &patch.validator) }
        if let raw = patch.raw("solvers") { result.solvers = readSolvers(raw, onto: result.solvers, validator: &patch.validator) }
        switch patch.raw("groupSize") {
        case nil: break
        case .null?: result.groupSize = nil
        case let raw?: result.groupSize = PitchChanges.readGroupSize(raw, onto: result.groupSize ?? GroupSize(min: 2, max: 4), validator: &patch.validator)
        }
        if case .set(let capacity) = patch.integer("capacity", range: 1...20) { result.capacity = capacity }
        if case .set(let bonus) = patch.integer("roleBonus", range: 0...100_000) { result.roleBonus = bonus }
        if case .set(let required) = patch.bool("requireRoles") { result.requireRoles = required }
        if let raw = patch.raw("weights") { result.weights = readWeights(raw, onto: result.weights, validator: &patch.validator) }
        if case .set(let k) = patch.integer("candidatesPerPitch", range: 1...1000) { result.candidatesPerPitch = k }
        if case .set(let raw) = patch.string("mode", maxLength: 20) {
            if let mode = RoundMode(rawValue: raw) {
                result.mode = mode
            } else {
                patch.validator.add("/mode", "Expected optimal or stable.")
            }
        }
        if case .set(let floor) = patch.number("fitFloor", range: 0...1) { result.fitFloor = floor }
        switch patch.string("answerDeadline", nullable: true, maxLength: 40) {
        case .set(let raw):
            if let date = Timestamp.parse(raw) {
                result.answerDeadline = Timestamp.string(date)
            } else {
                patch.validator.add("/answerDeadline", "Expected a date and time such as 2026-12-24T12:00:00Z.")
            }
        case .remove: result.answerDeadline = nil
        case .absent: break
        }
        if !Round.fitFactors.contains(where: { (result.weights[$0] ?? 1) > 0 }) {
            patch.validator.add("/weights", "At least one of \(Round.fitFactors.joined(separator: ", ")) needs a weight above 0: they make a pair's fit.")
        }
        try patch.validator.finish()
        return result
    }

    static func readPitches(_ value: JSONValue, onto current: PitchSelection, validator: inout Validator) -> PitchSelection {
        guard var nested = try? MergePatch(value, allowed: ["ids", "tags", "roles", "languages"]) else {
            validator.add("/pitches", "Expected an object with ids, or with tags, roles and languages.")
            return current
        }
        var selection = current
        switch nested.raw("ids") {
        case nil: break
        case .null?: selection.ids = nil
        default:
            if case .set(let ids) = nested.strings("ids", maxCount: 10_000, maxLength: 100) {
                if ids.isEmpty { nested.validator.add("/ids", "Name at least one pitch, or null for every approved pitch.") }
                selection.ids = PersonChanges.unique(ids)
            }
        }
        if case .set(let tags) = nested.strings("tags", maxCount: 50, maxLength: 80) { selection.tags = PersonChanges.unique(tags) }
        if case .set(let roles) = nested.strings("roles", maxCount: PersonRole.allCases.count, maxLength: 40) {
            selection.roles = PersonChanges.enumValues(roles, pointer: "/roles", validator: &nested.validator)
        }
        if case .set(let languages) = nested.strings("languages", maxCount: 20, maxLength: 3) {
            for (index, code) in languages.enumerated() where !LanguageCode.isValid(code) {
                nested.validator.add("/languages/\(index)", "Expected an ISO 639-1 code such as \"da\" or \"en\".")
            }
            selection.languages = PersonChanges.unique(languages)
        }
        validator.add(nested.validator, under: "/pitches")
        return selection
    }

    static func readSolvers(_ value: JSONValue, onto current: SolverSelection, validator: inout Validator) -> SolverSelection {
        guard var nested = try? MergePatch(value, allowed: ["roles", "tags", "organisations"]) else {
            validator.add("/solvers", "Expected an object with roles, tags and organisations.")
            return current
        }
        var selection = current
        if case .set(let roles) = nested.strings("roles", maxCount: PersonRole.allCases.count, maxLength: 40) {
            selection.roles = PersonChanges.enumValues(roles, pointer: "/roles", validator: &nested.validator)
            for (index, role) in selection.roles.enumerated() where !SolverSelection.solving.contains(role) {
                nested.validator.add("/roles/\(index)", "\(role.rawValue) is not a role that works on pitches; expected one of \(SolverSelection.solving.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        if case .set(let tags) = nested.strings("tags", maxCount: 50, maxLength: 80) { selection.tags = PersonChanges.unique(tags) }
        if case .set(let ids) = nested.strings("organisations", maxCount: 200, maxLength: 100) { selection.organisations = PersonChanges.unique(ids) }
        validator.add(nested.validator, under: "/solvers")
        return selection
    }

    /// A merge patch of the weights: a factor set to null takes the engine's weight again.
    static func readWeights(_ value: JSONValue, onto current: [String: Double], validator: inout Validator) -> [String: Double] {
        guard case .object(let object) = value else {
            validator.add("/weights", "Expected an object of factor weights, such as {\"tags\": 3, \"novelty\": 0}.")
            return current
        }
        var weights = current
        for (factor, weight) in object.sorted(by: { $0.key < $1.key }) {
            guard Round.factors.contains(factor) else {
                validator.add("/weights/\(factor)", "Unknown factor; expected one of \(Round.factors.joined(separator: ", ")).")
                continue
            }
            switch weight {
            case .null: weights[factor] = nil
            case .number(let number) where number >= 0 && number <= 1000: weights[factor] = number
            default: validator.add("/weights/\(factor)", "A weight from 0 to 1000.")
            }
        }
        return weights
    }
}
