import Foundation
import Matching

/// A small community in clinical words, Danish and English, with a planted truth, for the match
/// quality benchmark: eight pitches on eight neighbouring topics (retinopathy and eye tracking
/// share the eyes, lung CT and retinopathy images, sepsis and atrial fibrillation the pulse), four
/// written in Danish and four in English; six people on each topic (researchers, startups,
/// students, specialists, a quarter writing in Danish) and 24 people off every topic. Groups of 2
/// to 4 ask for a researcher and a startup.
///
/// The shape says how the pitches and the topics are given: with their tags, with one tag (their
/// clinical domain) and their words, with words only, or with tags but only one researcher and one
/// startup on each topic.
public struct ClinicalCommunity: Sendable {
    public enum Shape: String, Sendable, CaseIterable {
        case tags
        case oneTag = "one tag"
        case wordsOnly = "words only"
        case scarce = "scarce topics"
    }

    public var pitches: [MatchPitch]
    public var solvers: [MatchSolver]
    public var pitchTopic: [String: Int]
    /// The topic of each person planted on one; people off every topic are not in it.
    public var solverTopic: [String: Int]
    public var pitchLanguage: [String: TextLanguage]

    public static let topicCount = ClinicalTopic.all.count

    public init(shape: Shape, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let topics = ClinicalTopic.all
        // Which four topics are pitched in Danish changes with the seed.
        let danishTopics = Set(Array(topics.indices).shuffled(using: &random).prefix(topics.count / 2))
        var pitchTopic: [String: Int] = [:]
        var pitchLanguage: [String: TextLanguage] = [:]
        pitches = topics.indices.map { t in
            let topic = topics[t]
            let language: TextLanguage = danishTopics.contains(t) ? .danish : .english
            let id = "pitch-\(topic.name)"
            pitchTopic[id] = t
            pitchLanguage[id] = language
            let tags: [String]
            switch shape {
            case .tags, .scarce: tags = topic.tags
            case .oneTag: tags = [topic.tags[0]]
            case .wordsOnly: tags = []
            }
            return MatchPitch(
                id: id, organisation: "hospital-\(t)", tags: tags,
                text: topic.pitchText(language, random: &random), textLanguage: language,
                roles: ["researcher": 1, "startup": 1], minGroupSize: 2, maxGroupSize: 4)
        }
        var solverTopic: [String: Int] = [:]
        var solvers: [MatchSolver] = []
        let roles = ["researcher", "startup", "student", "specialist", "researcher", "startup"]
        for (t, topic) in topics.enumerated() {
            let planted = shape == .scarce ? Array(roles.prefix(2)) : roles
            for (k, role) in planted.enumerated() {
                let id = "\(topic.name)-\(k)"
                let language: TextLanguage = Double.random(in: 0..<1, using: &random) < 0.25 ? .danish : .english
                solverTopic[id] = t
                let tags = Array(topic.tags.shuffled(using: &random).prefix(Int.random(in: 1...2, using: &random)))
                solvers.append(MatchSolver(
                    id: id, role: role, organisation: "org-\(t)-\(k)", tags: tags,
                    text: topic.profileText(language, random: &random), textLanguage: language,
                    languages: language == .danish ? ["da", "en"] : ["en"], hoursPerMonth: 10))
            }
        }
        for k in 0..<24 {
            let off = ClinicalTopic.offTopic[k % ClinicalTopic.offTopic.count]
            let language: TextLanguage = k % 4 == 0 ? .danish : .english
            solvers.append(MatchSolver(
                id: "off-\(k)", role: roles[k % roles.count], organisation: "company-\(k)", tags: off.tags,
                text: language == .danish ? off.danish : off.english, textLanguage: language,
                languages: language == .danish ? ["da", "en"] : ["en"], hoursPerMonth: 20))
        }
        self.solvers = solvers
        self.pitchTopic = pitchTopic
        self.solverTopic = solverTopic
        self.pitchLanguage = pitchLanguage
    }

    /// The taxonomy as a round reads it, from `seed/tags.json` (an id, a Danish and an English
    /// label, synonyms).
    public static func tags(from file: URL) throws -> [MatchTag] {
        struct Seeded: Decodable {
            var id: String
            var label: [String: String]
            var synonyms: [String]?
        }
        return try JSONDecoder().decode([Seeded].self, from: Data(contentsOf: file)).map {
            MatchTag(id: $0.id, labels: [$0.label["da"], $0.label["en"]].compactMap { $0 }, synonyms: $0.synonyms ?? [])
        }
    }
}

/// One topic of the clinical community: its tags, and the phrases pitches and profiles on it are
/// written with, in either language.
struct ClinicalTopic: Sendable {
    var name: String
    var tags: [String]
    var danishPitch: [String]
    var englishPitch: [String]
    var danishProfile: [String]
    var englishProfile: [String]

    func pitchText(_ language: TextLanguage, random: inout SeededRandom) -> String {
        let opening = language == .danish
            ? ["Vi er en afdeling, der vil bruge kunstig intelligens.", "På vores afdeling ser vi et problem, som AI kan løse."]
            : ["We are a department that wants to use artificial intelligence.", "In our clinic we see a problem that AI could solve."]
        let phrases = (language == .danish ? danishPitch : englishPitch).shuffled(using: &random).prefix(3)
        return ([opening.randomElement(using: &random)!] + phrases).joined(separator: " ")
    }

    func profileText(_ language: TextLanguage, random: inout SeededRandom) -> String {
        let phrases = (language == .danish ? danishProfile : englishProfile).shuffled(using: &random).prefix(2)
        return phrases.joined(separator: " ")
    }

    static let all: [ClinicalTopic] = [
        ClinicalTopic(
            name: "retinopathy", tags: ["ophthalmology", "retinal-images", "computer-vision"],
            danishPitch: ["Vi screener patienter med diabetes for diabetisk retinopati.",
                          "Øjenlægerne gennemgår tusindvis af nethindebilleder hvert år.",
                          "Vi vil finde forandringer i øjenbaggrunden tidligere på fundusfotos.",
                          "Billederne af øjnene skal sorteres, før en læge ser dem."],
            englishPitch: ["We screen people with diabetes for diabetic retinopathy.",
                           "Our eye doctors grade thousands of retinal images each year.",
                           "We want to find changes in the fundus photography earlier.",
                           "The images of the eyes must be triaged before a doctor sees them."],
            danishProfile: ["Jeg analyserer nethindebilleder med dyb læring.", "Vores firma laver software til screening af øjnene."],
            englishProfile: ["I build deep learning models for retinal images and retinopathy.",
                             "Our startup grades fundus photography for eye disease."]),
        ClinicalTopic(
            name: "eye-tracking", tags: ["eye-tracking-data", "eye-tracking-analysis", "neurology"],
            danishPitch: ["Vi vil måle øjenbevægelser hos patienter efter hjerneskade.",
                          "Øjenstyring kan hjælpe patienter, der ikke kan tale.",
                          "Blikretningen fortæller os om patientens opmærksomhed.",
                          "Vi optager øjnene med et kamera under undersøgelsen."],
            englishPitch: ["We want to measure eye movements in patients after brain injury.",
                           "Eye tracking could help patients who cannot speak.",
                           "Gaze tells us about the patient's attention.",
                           "We record the eyes with a camera during the examination."],
            danishProfile: ["Jeg forsker i øjenbevægelser og blikanalyse.", "Vi udvikler øjenstyring til kommunikation."],
            englishProfile: ["I research eye movements and gaze tracking.", "Our company builds eye tracking for communication."]),
        ClinicalTopic(
            name: "lung-ct", tags: ["pulmonology", "ct", "oncology"],
            danishPitch: ["Vi vil finde lungekræft tidligere på CT-scanninger.",
                          "Radiologerne leder efter små knuder i lungerne.",
                          "Mange billeder af lungerne venter på at blive læst.",
                          "Tidlig opdagelse af kræft i lungen redder liv."],
            englishPitch: ["We want to find lung cancer earlier in CT scans.",
                           "Our radiologists look for small nodules in the lungs.",
                           "Many images of the lungs wait to be read.",
                           "Early detection of cancer in the lung saves lives."],
            danishProfile: ["Jeg segmenterer knuder i lungerne på CT-scanninger.", "Vores firma opdager lungekræft med AI."],
            englishProfile: ["I segment lung nodules in computed tomography.", "Our startup detects lung cancer in CT images."]),
        ClinicalTopic(
            name: "sepsis", tags: ["infectious-diseases", "vital-signs", "risk-prediction"],
            danishPitch: ["Vi vil opdage sepsis, før patienten bliver kritisk syg.",
                          "Blodforgiftning udvikler sig på få timer i akutmodtagelsen.",
                          "Puls, blodtryk og temperatur måles hele tiden.",
                          "Vi vil advare sygeplejerskerne tidligt om infektion."],
            englishPitch: ["We want to detect sepsis before the patient becomes critically ill.",
                           "Sepsis develops within hours in the emergency department.",
                           "Pulse, blood pressure and temperature are measured all the time.",
                           "We want to warn the nurses early about infection."],
            danishProfile: ["Jeg bygger modeller, der forudsiger sepsis ud fra vitale værdier.", "Vores firma overvåger infektioner på sengeafsnit."],
            englishProfile: ["I build models that predict sepsis from vital signs.", "Our startup monitors infection risk on the wards."]),
        ClinicalTopic(
            name: "atrial-fibrillation", tags: ["cardiology", "ecg", "wearables"],
            danishPitch: ["Vi vil finde atrieflimren hos patienter derhjemme.",
                          "Et EKG på hospitalet fanger ikke anfald, der kommer og går.",
                          "Patienterne kunne bære et smartwatch, der måler pulsen.",
                          "Uopdaget atrieflimren giver blodpropper."],
            englishPitch: ["We want to find atrial fibrillation in patients at home.",
                           "A hospital ECG misses episodes that come and go.",
                           "Patients could wear a smartwatch that measures the pulse.",
                           "Undetected atrial fibrillation causes strokes."],
            danishProfile: ["Jeg analyserer EKG-signaler for arytmi.", "Vores firma laver et smartwatch, der opdager atrieflimren."],
            englishProfile: ["I analyse ECG signals for arrhythmia.", "Our startup makes a smartwatch that detects atrial fibrillation."]),
        ClinicalTopic(
            name: "dementia", tags: ["dementia", "speech-recognition", "geriatrics"],
            danishPitch: ["Vi vil opdage demens tidligere hos ældre.",
                          "Hukommelsestab bliver ofte først opdaget sent.",
                          "Patientens tale ændrer sig ved kognitiv svækkelse.",
                          "Plejehjemmene har brug for hjælp til at følge beboerne."],
            englishPitch: ["We want to detect dementia earlier in older adults.",
                           "Memory loss is often discovered late.",
                           "The patient's speech changes with cognitive decline.",
                           "Nursing homes need help to follow their residents."],
            danishProfile: ["Jeg forsker i tale og kognitiv svækkelse.", "Vores firma hjælper plejehjem med at opdage hukommelsestab."],
            englishProfile: ["I research speech and cognitive decline.", "Our startup helps nursing homes notice memory loss."]),
        ClinicalTopic(
            name: "clinical-notes", tags: ["clinical-notes", "nlp", "large-language-models"],
            danishPitch: ["Lægerne bruger timer på at skrive journalnotater.",
                          "Vi vil lave udkast til epikriser automatisk.",
                          "Fritekst i patientjournalen er svær at søge i.",
                          "Tekstanalyse kunne finde de vigtige oplysninger."],
            englishPitch: ["Doctors spend hours writing clinical notes.",
                           "We want to draft discharge summaries automatically.",
                           "Free text in the patient record is hard to search.",
                           "Text mining could find the important information."],
            danishProfile: ["Jeg arbejder med sprogteknologi på danske journalnotater.", "Vores firma bygger store sprogmodeller til epikriser."],
            englishProfile: ["I work on natural language processing of clinical notes.",
                             "Our startup builds large language models for discharge summaries."]),
        ClinicalTopic(
            name: "patient-flow", tags: ["hospital-logistics", "optimisation", "hospital-operations-data"],
            danishPitch: ["Vores sengepladser er fyldt, og patientflowet går i stå.",
                          "Kapacitetsplanlægning sker i regneark.",
                          "Vi vil forudsige, hvor mange patienter der kommer i morgen.",
                          "Operationsgangen venter på ledige senge."],
            englishPitch: ["Our beds are full and patient flow stalls.",
                           "Capacity planning is done in spreadsheets.",
                           "We want to predict how many patients arrive tomorrow.",
                           "The operating theatres wait for free beds."],
            danishProfile: ["Jeg laver operationsanalyse af patientflow.", "Vores firma planlægger kapacitet på hospitaler."],
            englishProfile: ["I do operations research on patient flow.", "Our startup does capacity planning for hospitals."]),
    ]

    /// People off every topic: what they do, in either language, and their tags.
    static let offTopic: [(tags: [String], english: String, danish: String)] = [
        (["software-engineering", "cloud-infrastructure"], "I build payment systems for online shops.", "Jeg bygger betalingssystemer til webshops."),
        (["business-development", "fundraising"], "I help startups raise their first investment.", "Jeg hjælper iværksættere med deres første investering."),
        (["machine-learning"], "I forecast energy prices with machine learning.", "Jeg forudsiger energipriser med maskinlæring."),
        (["user-experience", "design-thinking"], "I design apps for banks.", "Jeg designer apps til banker."),
        (["embedded-systems"], "I write firmware for farm machinery.", "Jeg skriver firmware til landbrugsmaskiner."),
        (["data-engineering"], "I move retail data into warehouses.", "Jeg flytter data fra detailhandlen ind i datavarehuse."),
    ]
}
