/// Applies a merge patch to a pitch, validating every field. Tag and organisation ids are checked
/// by the caller, which knows them.
public enum PitchChanges {
    public static let fields: Set<String> = [
        "title", "problem", "language", "clinicalDomain", "tags", "roles", "dataDescription", "languages",
        "requiresSharedLanguage", "effortHoursPerMonth", "groupSize", "visibility", "organisationId",
    ]

    /// Validates a new pitch (`creating`: title, problem and language are required) or a patch to
    /// an existing one. The status and the times are left to the life cycle (`Pitch.edited`).
    public static func apply(_ body: JSONValue, to pitch: Pitch, creating: Bool) throws(KoblingError) -> Pitch {
        var patch = try MergePatch(body, allowed: fields)
        var result = pitch
        if case .set(let title) = patch.string("title", maxLength: 200, allowEmpty: false, required: creating) { result.title = title }
        if case .set(let problem) = patch.string("problem", maxLength: 10_000, allowEmpty: false, required: creating) { result.problem = problem }
        if case .set(let raw) = patch.string("language", maxLength: 2, required: creating) {
            if let language = PreferredLanguage(rawValue: raw) {
                result.language = language
            } else {
                patch.validator.add("/language", "The language of the problem's text: da or en.")
            }
        }
        patch.string("clinicalDomain", nullable: true, maxLength: 80).apply(to: &result.clinicalDomain)
        if case .set(let tags) = patch.strings("tags", maxCount: 30, maxLength: 80) { result.tags = PersonChanges.unique(tags) }
        if let roles = patch.raw("roles") { result.roles = readRoles(roles, validator: &patch.validator) }
        patch.string("dataDescription", nullable: true, maxLength: 5_000).apply(to: &result.dataDescription)
        if case .set(let languages) = patch.strings("languages", maxCount: 20, maxLength: 3) {
            for (index, code) in languages.enumerated() where !LanguageCode.isValid(code) {
                patch.validator.add("/languages/\(index)", "Expected an ISO 639-1 code such as \"da\" or \"en\".")
            }
            result.languages = PersonChanges.unique(languages)
        }
        if case .set(let required) = patch.bool("requiresSharedLanguage") { result.requiresSharedLanguage = required }
        patch.integer("effortHoursPerMonth", nullable: true, range: 0...744).apply(to: &result.effortHoursPerMonth)
        if let size = patch.raw("groupSize") { result.groupSize = readGroupSize(size, onto: result.groupSize, validator: &patch.validator) }
        if case .set(let raw) = patch.string("visibility", maxLength: 20) {
            if let visibility = PitchVisibility(rawValue: raw) {
                result.visibility = visibility
            } else {
                patch.validator.add("/visibility", "Expected public or members.")
            }
        }
        patch.string("organisationId", nullable: true, maxLength: 100).apply(to: &result.organisationId)
        if result.requiresSharedLanguage && result.languages.isEmpty {
            patch.validator.add("/languages", "A pitch that requires a shared language names at least one.")
        }
        for (index, wanted) in result.roles.enumerated() where wanted.count > result.groupSize.max {
            patch.validator.add("/roles/\(index)/count", "More than the group's largest size (\(result.groupSize.max)).")
        }
        try patch.validator.finish()
        return result
    }

    static func readRoles(_ value: JSONValue, validator: inout Validator) -> [RoleWanted] {
        guard case .array(let items) = value, items.count <= PersonRole.allCases.count else {
            validator.add("/roles", "Expected an array of at most \(PersonRole.allCases.count) {role, count, required}.")
            return []
        }
        var roles: [RoleWanted] = []
        for (index, item) in items.enumerated() {
            let pointer = "/roles/\(index)"
            guard case .object(let object) = item, Set(object.keys).isSubset(of: ["role", "count", "required"]),
                  case .string(let raw)? = object["role"] else {
                validator.add(pointer, "Expected an object with a role, and optionally a count and whether it is required.")
                continue
            }
            guard let role = PersonRole(rawValue: raw) else {
                validator.add("\(pointer)/role", "Unknown role; expected one of \(PersonRole.allCases.map(\.rawValue).joined(separator: ", ")).")
                continue
            }
            var wanted = RoleWanted(role: role)
            switch object["count"] {
            case nil: break
            case .number(let count)? where count == count.rounded() && count >= 1 && count <= Double(GroupSize.limit):
                wanted.count = Int(count)
            default: validator.add("\(pointer)/count", "A whole number from 1 to \(GroupSize.limit).")
            }
            switch object["required"] {
            case nil: break
            case .bool(let required)?: wanted.required = required
            default: validator.add("\(pointer)/required", "Expected true or false.")
            }
            if roles.contains(where: { $0.role == role }) {
                validator.add("\(pointer)/role", "Named twice.")
            } else {
                roles.append(wanted)
            }
        }
        return roles
    }

    /// A merge patch of the group size: either bound may be given alone.
    static func readGroupSize(_ value: JSONValue, onto current: GroupSize, validator: inout Validator) -> GroupSize {
        guard case .object(let object) = value, Set(object.keys).isSubset(of: ["min", "max"]) else {
            validator.add("/groupSize", "Expected an object with min and max.")
            return current
        }
        var size = current
        for (key, bound) in [("min", \GroupSize.min), ("max", \GroupSize.max)] as [(String, WritableKeyPath<GroupSize, Int>)] {
            switch object[key] {
            case nil: break
            case .number(let number)? where number == number.rounded() && number >= 1 && number <= Double(GroupSize.limit):
                size[keyPath: bound] = Int(number)
            default: validator.add("/groupSize/\(key)", "A whole number from 1 to \(GroupSize.limit).")
            }
        }
        if size.min > size.max { validator.add("/groupSize", "The least size is above the largest.") }
        return size
    }
}
