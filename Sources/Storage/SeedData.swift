import Foundation
import KoblingCore

/// The demo community in `seed/`: read from JSON, loaded by `kobling seed`.
public struct SeedData: Decodable, Sendable {
    public struct SeedPerson: Decodable, Sendable {
        public struct SeedMembership: Decodable, Sendable {
            public var organisation: String
            public var role: MembershipRole
            public var title: String?
        }

        public var id: String
        public var name: String
        public var headline: String?
        public var bio: String?
        public var roles: [PersonRole]
        public var tags: [String]
        public var languages: [String]
        public var region: String?
        public var availabilityHoursPerMonth: Int?
        public var menteeCapacity: Int?
        public var links: [Link]?
        public var matchable: Bool?
        public var publicFields: [PersonField]?
        public var memberships: [SeedMembership]?
    }

    public struct SeedOrganisation: Decodable, Sendable {
        public var id: String
        public var kind: OrganisationKind
        public var name: String
        public var description: String?
        public var website: String?
        public var region: String?
        public var tags: [String]?
    }

    /// The newsletter: lists, confirmed subscribers with their consent, and issues already sent.
    public struct SeedNewsletter: Decodable, Sendable {
        public struct SeedList: Decodable, Sendable {
            public var id: String
            public var name: String
            public var description: String
            public var consentText: String
        }

        public struct SeedSubscriber: Decodable, Sendable {
            public var list: String
            public var email: String
            public var name: String?
            public var consentAt: String
            public var consentSource: String
        }

        public struct SeedIssue: Decodable, Sendable {
            public var id: String
            public var list: String
            public var subject: String
            public var preheader: String
            public var body: String
            public var sentAt: String
        }

        public var lists: [SeedList]
        public var subscribers: [SeedSubscriber]
        public var issues: [SeedIssue]
    }

    /// A pitch: its id, its author, the status it has reached, and the rest as a pitch is
    /// written through the API (and checked as such).
    public struct SeedPitch: Decodable, Sendable {
        public var id: String
        public var author: String
        public var status: PitchStatus
        public var body: JSONValue

        public init(from decoder: any Decoder) throws {
            guard case .object(var fields) = try JSONValue(from: decoder),
                  case .string(let id)? = fields.removeValue(forKey: "id"),
                  case .string(let author)? = fields.removeValue(forKey: "author"),
                  case .string(let raw)? = fields.removeValue(forKey: "status"), let status = PitchStatus(rawValue: raw) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "A pitch needs an id, an author and a status."))
            }
            self.id = id
            self.author = author
            self.status = status
            body = .object(fields)
        }
    }

    /// A startup's mentoring request: its id, who asks, and the request as written through the
    /// API (`MentoringChanges`); seeded open.
    public struct SeedMentoringRequest: Decodable, Sendable {
        public var id: String
        public var requester: String
        public var body: JSONValue

        public init(from decoder: any Decoder) throws {
            guard case .object(var fields) = try JSONValue(from: decoder),
                  case .string(let id)? = fields.removeValue(forKey: "id"),
                  case .string(let requester)? = fields.removeValue(forKey: "requester") else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "A mentoring request needs an id and a requester."))
            }
            self.id = id
            self.requester = requester
            body = .object(fields)
        }
    }

    /// A match round: its id, and its settings as written through the API; seeding queues a
    /// run of it (`kobling seed` runs it) unless it has one.
    public struct SeedRound: Decodable, Sendable {
        public var id: String
        public var settings: JSONValue
        /// The answer deadline, this many days after seeding.
        public var answerDeadlineInDays: Int?
        /// Whether its first run is published once done, and what people answered then.
        public var publish: Bool?
        public var answers: [SeedAnswer]?
        /// The matchmaking session its published groups meet at.
        public var session: SeedSession?
    }

    /// A session `inDays` days after seeding, its first slot at `hour` (UTC), then `slots` slots of
    /// `slotMinutes` one after the other, with `tables` tables.
    public struct SeedSession: Decodable, Sendable {
        public var inDays: Int
        public var hour: Int
        public var slotMinutes: Int
        public var slots: Int
        public var tables: Int

        /// The session's frame, from the day of `now`.
        public func request(now: Date) -> SessionRequest {
            let day = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
            let first = Date(timeIntervalSince1970: day + Double(inDays * 86_400 + hour * 3_600))
            let slots = (0..<slots).map { index in
                SessionRequest.Slot(
                    start: Timestamp.string(first.addingTimeInterval(Double(index * slotMinutes * 60))),
                    end: Timestamp.string(first.addingTimeInterval(Double((index + 1) * slotMinutes * 60))))
            }
            return SessionRequest(slots: slots, tables: tables)
        }
    }

    /// An answer to a seeded round's proposal of `person` to `pitch`, by either side, and what
    /// came of the collaboration when both said yes.
    public struct SeedAnswer: Decodable, Sendable {
        public var pitch: String
        public var person: String
        public var personSays: Bool?
        public var authorSays: Bool?
        public var note: String?
        public var collaboration: CollaborationStatus?
        public var outcomeNote: String?
        public var meeting: MeetingOutcome?
    }

    public var tags: [Tag]
    public var organisations: [SeedOrganisation]
    public var people: [SeedPerson]
    public var newsletter: SeedNewsletter?
    public var pitches: [SeedPitch]
    public var mentoring: [SeedMentoringRequest]
    public var rounds: [SeedRound]

    public init(
        tags: [Tag], organisations: [SeedOrganisation], people: [SeedPerson], newsletter: SeedNewsletter? = nil, pitches: [SeedPitch] = [],
        rounds: [SeedRound] = [], mentoring: [SeedMentoringRequest] = []
    ) {
        self.mentoring = mentoring
        self.rounds = rounds
        self.tags = tags
        self.organisations = organisations
        self.people = people
        self.newsletter = newsletter
        self.pitches = pitches
    }
}

public struct SeedReport: Sendable, Equatable, CustomStringConvertible {
    public init() {}

    public var tags = 0
    public var organisations = 0
    public var people = 0
    public var memberships = 0
    public var lists = 0
    public var subscribers = 0
    public var issues = 0
    public var pitches = 0
    public var mentoringRequests = 0
    public var rounds = 0
    public var runs = 0

    public var description: String {
        "added \(tags) tags, \(organisations) organisations, \(people) people, \(memberships) memberships, "
            + "\(lists) mailing lists, \(subscribers) subscribers, \(issues) newsletter issues, \(pitches) pitches, "
            + "\(mentoringRequests) mentoring requests, \(rounds) match rounds, \(runs) round runs queued"
    }
}
