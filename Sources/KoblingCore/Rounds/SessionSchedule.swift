import Foundation

/// A matchmaking session's frame, as an organiser sends it: its time slots and how many tables
/// each slot has.
public struct SessionRequest: Equatable, Sendable {
    public struct Slot: Codable, Equatable, Sendable {
        public var start: String
        public var end: String

        public init(start: String, end: String) {
            self.start = start
            self.end = end
        }
    }

    /// In time order, as UTC timestamps.
    public var slots: [Slot]
    public var tables: Int

    public init(slots: [Slot], tables: Int) {
        self.slots = slots
        self.tables = tables
    }

    public static let maxSlots = 200
    public static let maxTables = 1_000

    /// `{"slots": [{"start", "end"}, …], "tables": n}`: every slot ends after it starts, no two
    /// overlap; a 422 names each field that is wrong.
    public static func parse(_ body: JSONValue) throws(KoblingError) -> SessionRequest {
        var patch = try MergePatch(body, allowed: ["slots", "tables"])
        var tables = 0
        switch patch.integer("tables", range: 1...maxTables) {
        case .set(let value): tables = value
        case .absent where patch.raw("tables") == nil: patch.validator.add("/tables", "Required.")
        default: break
        }
        var slots: [(index: Int, start: Date, end: Date)] = []
        switch patch.raw("slots") {
        case nil: patch.validator.add("/slots", "Required.")
        case .array(let items)?:
            if items.isEmpty || items.count > maxSlots {
                patch.validator.add("/slots", "Expected 1 to \(maxSlots) slots.")
                break
            }
            for (index, item) in items.enumerated() {
                if let slot = readSlot(item, pointer: "/slots/\(index)", validator: &patch.validator) {
                    slots.append((index, slot.start, slot.end))
                }
            }
        case let other?: patch.validator.add("/slots", "Expected an array of slots, got \(other.typeName).")
        }
        slots.sort { ($0.start, $0.index) < ($1.start, $1.index) }
        for (earlier, later) in zip(slots, slots.dropFirst()) where later.start < earlier.end {
            patch.validator.add("/slots/\(later.index)", "Overlaps slot \(earlier.index), which ends at \(Timestamp.string(earlier.end)).")
        }
        try patch.validator.finish()
        return SessionRequest(
            slots: slots.map { Slot(start: Timestamp.string($0.start), end: Timestamp.string($0.end)) }, tables: tables)
    }

    private static func readSlot(_ value: JSONValue, pointer: String, validator: inout Validator) -> (start: Date, end: Date)? {
        guard var fields = try? MergePatch(value, allowed: ["start", "end"]) else {
            validator.add(pointer, "Expected an object with start and end.")
            return nil
        }
        var times: [Date] = []
        for key in ["start", "end"] {
            guard case .set(let raw) = fields.string(key, maxLength: 40, required: true) else { continue }
            if let date = Timestamp.parse(raw) {
                times.append(date)
            } else {
                fields.validator.add("/\(key)", "Expected a date and time such as 2026-12-24T12:00:00Z.")
            }
        }
        if times.count == 2 && times[1] <= times[0] { fields.validator.add("/end", "Must be after start.") }
        validator.add(fields.validator, under: pointer)
        return fields.validator.errors.isEmpty && times.count == 2 ? (times[0], times[1]) : nil
    }
}

/// Where the groups of a published round meet at a matchmaking session: each in a slot and at a
/// table, no person in two groups at once, in as few slots as the search could find (`optimal`
/// when it proved none fewer, and no fewer groups left out, exist), and each group that could
/// not be placed with the reason.
public struct SessionSchedule: Codable, Equatable, Sendable {
    public struct Person: Codable, Equatable, Sendable {
        public var personId: String
        public var name: String

        public init(personId: String, name: String) {
            self.personId = personId
            self.name = name
        }
    }

    /// A group as it will meet: the pitch's author first, then the people proposed to it who
    /// have not said no or let their proposal expire.
    public struct Group: Equatable, Sendable {
        public var pitchId: String
        public var pitchTitle: String
        public var people: [String]

        public init(pitchId: String, pitchTitle: String, people: [String]) {
            self.pitchId = pitchId
            self.pitchTitle = pitchTitle
            self.people = people
        }
    }

    public struct Meeting: Codable, Equatable, Sendable {
        /// From 1.
        public var table: Int
        public var pitchId: String
        public var pitchTitle: String
        public var people: [Person]

        public init(table: Int, pitchId: String, pitchTitle: String, people: [Person]) {
            self.table = table
            self.pitchId = pitchId
            self.pitchTitle = pitchTitle
            self.people = people
        }
    }

    public struct Slot: Codable, Equatable, Sendable {
        public var start: String
        public var end: String
        public var meetings: [Meeting]

        public init(start: String, end: String, meetings: [Meeting]) {
            self.start = start
            self.end = end
            self.meetings = meetings
        }
    }

    public struct Unplaced: Codable, Equatable, Sendable {
        public var pitchId: String
        public var pitchTitle: String
        public var people: [Person]
        public var reason: String

        public init(pitchId: String, pitchTitle: String, people: [Person], reason: String) {
            self.pitchId = pitchId
            self.pitchTitle = pitchTitle
            self.people = people
            self.reason = reason
        }
    }

    public var roundId: String
    public var runId: String
    public var tables: Int
    public var slots: [Slot]
    public var unplaced: [Unplaced]
    /// Slots from the first up to the last that holds a meeting.
    public var slotsUsed: Int
    public var optimal: Bool
    public var createdAt: String

    /// The groups of a round's proposals: one a pitch, its author and everyone whose proposal is
    /// still open or led to an introduction.
    public static func groups(of proposals: [Proposal]) -> [Group] {
        var byPitch: [String: (title: String, author: String, people: Set<String>)] = [:]
        for proposal in proposals {
            var entry = byPitch[proposal.pitchId] ?? (proposal.pitchTitle, proposal.authorId, [])
            if proposal.status == .open || proposal.status == .introduced { entry.people.insert(proposal.personId) }
            byPitch[proposal.pitchId] = entry
        }
        return byPitch.keys.sorted().map { pitchId in
            let entry = byPitch[pitchId]!
            return Group(pitchId: pitchId, pitchTitle: entry.title, people: [entry.author] + entry.people.subtracting([entry.author]).sorted())
        }
    }

    public init(
        roundId: String, runId: String, tables: Int, slots: [Slot], unplaced: [Unplaced], slotsUsed: Int, optimal: Bool, createdAt: String
    ) {
        self.roundId = roundId
        self.runId = runId
        self.tables = tables
        self.slots = slots
        self.unplaced = unplaced
        self.slotsUsed = slotsUsed
        self.optimal = optimal
        self.createdAt = createdAt
    }

    /// The session without a person who was erased: nobody reads their name in it any more.
    public func without(_ personId: String) -> SessionSchedule {
        var result = self
        let everyone = slots.flatMap { $0.meetings.flatMap(\.people) } + unplaced.flatMap(\.people)
        if let name = everyone.first(where: { $0.personId == personId })?.name, !name.isEmpty {
            for index in result.unplaced.indices {
                result.unplaced[index].reason = result.unplaced[index].reason
                    .replacingOccurrences(of: name, with: "a person who has left")
            }
        }
        for index in result.slots.indices {
            for meeting in result.slots[index].meetings.indices {
                result.slots[index].meetings[meeting].people.removeAll { $0.personId == personId }
            }
        }
        for index in result.unplaced.indices { result.unplaced[index].people.removeAll { $0.personId == personId } }
        return result
    }

    /// One person's meetings, in time order.
    public func meetings(of personId: String, roundName: String) -> [PersonMeeting] {
        slots.flatMap { slot in
            slot.meetings.filter { $0.people.contains { $0.personId == personId } }.map {
                PersonMeeting(roundId: roundId, roundName: roundName, start: slot.start, end: slot.end, table: $0.table, pitchId: $0.pitchId,
                              pitchTitle: $0.pitchTitle, people: $0.people)
            }
        }
    }
}

/// A meeting as the person in it sees it: when, at which table, about which pitch, with whom.
public struct PersonMeeting: Codable, Equatable, Sendable {
    public var roundId: String
    public var roundName: String
    public var start: String
    public var end: String
    public var table: Int
    public var pitchId: String
    public var pitchTitle: String
    public var people: [SessionSchedule.Person]
}
