import Foundation
@testable import Matching
import MatchingFixtures
import Testing

/// Words, stop words and stems in Danish and English.
@Suite struct MatchingTextTests {
    @Test func englishStemsFollowPorter() {
        let expected = [
            "caresses": "caress", "ponies": "poni", "cats": "cat", "feed": "feed", "agreed": "agre",
            "plastered": "plaster", "motoring": "motor", "sing": "sing", "conflated": "conflat",
            "troubled": "troubl", "sized": "size", "hopping": "hop", "falling": "fall", "hissing": "hiss",
            "filing": "file", "happy": "happi", "relational": "relat", "conditional": "condit",
            "rational": "ration", "digitizer": "digit", "generalization": "gener", "electrical": "electr",
            "adjustment": "adjust", "predictions": "predict", "predicting": "predict", "hopeful": "hope",
        ]
        for (word, stem) in expected {
            #expect(EnglishStemmer.stem(word) == stem, "\(word)")
        }
    }

    @Test func danishInflectionsShareAStem() {
        let families = [
            ["patienter", "patienten", "patienterne", "patients"],
            ["undersøgelse", "undersøgelser", "undersøgelsen", "undersøgelserne"],
            ["hospitalet", "hospitaler", "hospitalerne"],
            ["behandling", "behandlingen", "behandlinger"],
        ]
        for family in families {
            let stems = Set(family.map(DanishStemmer.stem))
            #expect(stems.count == 1, "\(family) → \(stems)")
        }
        #expect(DanishStemmer.stem("undersøgelserne").contains("ø"))
        #expect(DanishStemmer.stem("øjne") == "øjn")
        #expect(DanishStemmer.stem("diabetespatienterne") == "diabetespatient")
    }

    @Test func wordsKeepDanishLettersAndFoldCase() {
        #expect(Analyzer.words("KRÆFT-behandling på Rigshospitalet, 2026: Øjne & ÅNDEDRÆT!")
            == ["kræft", "behandling", "på", "rigshospitalet", "2026", "øjne", "åndedræt"])
    }

    /// The byte-wise reading splits and folds as reading scalar by scalar does, whatever the text:
    /// letters of other scripts, digits of other systems, emoji, combining marks, capitals whose
    /// lower case is longer ("İ").
    @Test func wordsAreReadAsScalarByScalarReadingWouldReadThem() {
        func reference(_ text: String) -> [String] {
            var words: [String] = []
            var current = ""
            for scalar in text.unicodeScalars {
                if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                    current += scalar.properties.isUppercase ? scalar.properties.lowercaseMapping : String(scalar)
                } else if !current.isEmpty {
                    words.append(current)
                    current = ""
                }
            }
            if !current.isEmpty { words.append(current) }
            return words
        }
        var random = SeededRandom(seed: 17)
        let pieces = ["Kræft", "ØJNE", "å", "  ", "-", "İstanbul", "Ελληνικά", "МОСКВА", "日本語", "١٢٣", "e\u{301}",
                      "😀", "\u{1F600}x", "ABC", "don't", "CT-scanning", "\n", "ß", "ǅ", "x²", "Ⅻ"]
        for _ in 0..<500 {
            let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            #expect(Analyzer.words(text) == reference(text), "\(text)")
        }
    }

    @Test func theLanguageIsToldByItsStopWords() {
        #expect(TextLanguage.guess(Analyzer.words("Vi vil gerne forudsige hvem der bliver indlagt igen"), hint: .english) == .danish)
        #expect(TextLanguage.guess(Analyzer.words("We want to predict who will be readmitted"), hint: .danish) == .english)
        #expect(TextLanguage.guess(["ekg", "ecg"], hint: .danish) == .danish)
    }

    @Test func stopWordsGoAndStemsMeet() {
        var analyzer = Analyzer()
        let danish = analyzer.analyze("Patienterne og deres undersøgelser", hint: .danish)
        let again = analyzer.analyze("En patient får en undersøgelse", hint: .danish)
        #expect(danish.count == 2)
        #expect(Set(danish) == Set(again))
        let english = analyzer.analyze("The predictions of the models", hint: .english)
        #expect(english.map { analyzer.terms[Int($0)] } == ["predict", "model"])
    }

    @Test func cosineIsOneForTheSameTextAndZeroForNothingShared() {
        var analyzer = Analyzer()
        let documents = [
            analyzer.analyze("sepsis prediction in intensive care", hint: .english),
            analyzer.analyze("predicting sepsis in the intensive care unit", hint: .english),
            analyzer.analyze("dermatology images of skin lesions", hint: .english),
        ]
        let vectors = TermVector.corpus(documents, termCount: analyzer.terms.count)
        #expect(abs(vectors[0].cosine(vectors[0]) - 1) < 1e-5)
        #expect(vectors[0].cosine(vectors[1]) > 0.6)
        #expect(vectors[0].cosine(vectors[2]) == 0)
    }
}

/// Concepts of the taxonomy found in free text, in either language.
@Suite struct ConceptReaderTests {
    static let tags = [
        MatchTag(id: "eye-tracking", labels: ["Øjensporing", "Eye tracking"], synonyms: ["øjenstyring", "gaze tracking"]),
        MatchTag(id: "retinal-imaging", labels: ["Nethindebilleder", "Retinal imaging"], synonyms: ["fundus"]),
        MatchTag(id: "diabetes", labels: ["Diabetes", "Diabetes"], synonyms: ["sukkersyge"]),
        MatchTag(id: "clinical-notes", labels: ["Journalnotater", "Clinical notes"], synonyms: ["journal"]),
        MatchTag(id: "sepsis", labels: ["Sepsis", "Sepsis"], synonyms: ["blodforgiftning"]),
    ]
    let reader = ConceptReader(Self.tags)

    @Test func aDanishTextAndAnEnglishOneMeetInTheSameConcepts() {
        let danish = reader.read("Vi vil bruge øjenstyring og nethindebillederne til at finde tegn på sukkersyge.", language: .danish)
        let english = reader.read("Gaze tracking glasses and retinal imaging to screen for diabetes.", language: .english)
        #expect(Set(danish.map(\.tagId)) == ["eye-tracking", "retinal-imaging", "diabetes"])
        #expect(Set(english.map(\.tagId)) == Set(danish.map(\.tagId)))
        // Each concept says which words found it.
        #expect(danish.first { $0.tagId == "eye-tracking" }?.words == ["øjenstyring"])
        #expect(danish.first { $0.tagId == "retinal-imaging" }?.words == ["nethindebillederne"])
        #expect(english.first { $0.tagId == "eye-tracking" }?.words == ["gaze tracking"])
    }

    @Test func thePartsOfADanishCompoundAreRead() {
        let found = reader.read("Et diabetesøjenscreeningsprogram og journalgennemgang ved blodforgiftningen", language: .danish)
        #expect(found.map(\.tagId).sorted() == ["clinical-notes", "diabetes", "sepsis"])
        #expect(found.first { $0.tagId == "diabetes" }?.words == ["diabetesøjenscreeningsprogram"])
        // A short part is no compound: "be" + "handling" says nothing of "handling".
        #expect(ConceptReader([MatchTag(id: "handling")]).read("behandling", language: .danish).isEmpty)
    }

    @Test func findingsComeMostFrequentFirstAndNothingIsFoundInUnrelatedText() {
        let found = reader.read("Sepsis, sepsis og atter sepsis; en journal.", language: .danish)
        #expect(found.map(\.tagId) == ["sepsis", "clinical-notes"])
        #expect(found.first?.occurrences == 3)
        #expect(reader.read("Vi bager brød om søndagen.", language: .danish).isEmpty)
        #expect(reader.read("", language: .english).isEmpty)
    }
}

extension ConceptReaderTests {
    /// Splits are tried only where a name begins, and that finds what trying every split finds:
    /// on the seeded vocabulary, for the clinical community's words and for made-up compounds of
    /// its names with linking letters and endings.
    @Test func aCompoundsPartsAreTheSameAsTryingEverySplit() throws {
        let reader = ConceptReader(try ClinicalCommunity.tags(from: Self.seedTags))
        func everySplit(_ word: String) -> [Int] {
            let letters = Array(word)
            let shortest = ConceptReader.shortestPart
            guard letters.count >= 2 * shortest, letters.count <= ConceptReader.longestCompound else { return [] }
            var tags: Set<Int> = []
            for split in shortest...(letters.count - shortest) {
                let head = String(letters[..<split])
                let tail = String(letters[split...])
                var heads = [head]
                if let last = head.last, last == "s" || last == "e", head.count > shortest { heads.append(String(head.dropLast())) }
                for candidate in heads {
                    if let known = reader.partWords[candidate] ?? reader.partWords[DanishStemmer.stem(candidate)] { tags.formUnion(known) }
                }
                if let known = reader.partWords[tail] ?? reader.partWords[DanishStemmer.stem(tail)] { tags.formUnion(known) }
            }
            return tags.sorted()
        }
        var words: Set<String> = []
        for shape in ClinicalCommunity.Shape.allCases {
            let community = ClinicalCommunity(shape: shape, seed: 1)
            for text in community.pitches.map(\.text) + community.solvers.map(\.text) { words.formUnion(Analyzer.words(text)) }
        }
        let names = Array(reader.partWords.keys).sorted()
        var random = SeededRandom(seed: 5)
        for _ in 0..<2000 {
            let parts = (0..<Int.random(in: 1...3, using: &random)).map { _ in names.randomElement(using: &random)! }
            let glue = ["", "s", "e", "er", "erne", "ens"]
            words.insert(parts.map { $0 + glue.randomElement(using: &random)! }.joined())
        }
        var compounds = 0
        for word in words {
            let parts = reader.compoundParts(of: word)
            #expect(parts == everySplit(word), "\(word)")
            if !parts.isEmpty { compounds += 1 }
        }
        #expect(compounds > 1000)
    }

    static let seedTags = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("seed/tags.json")

    /// The seeded vocabulary: a Danish pitch and an English profile on one topic meet in its concepts.
    @Test(arguments: [
        ("Vi vil finde diabetisk retinopati på nethindebilleder med dyb læring.",
         "Deep learning on retinal images to detect diabetic retinopathy.",
         ["deep-learning", "diabetes", "ophthalmology", "retinal-images"]),
        ("Kan vi forudsige blodforgiftning på intensivafdelingen ud fra vitale værdier?",
         "Predicting sepsis in the ICU from vital signs.",
         ["infectious-diseases", "intensive-care", "vital-signs"]),
        ("Atrieflimren opdaget med EKG fra et smartwatch.",
         "Detecting atrial fibrillation from smartwatch ECG.",
         ["cardiology", "ecg", "wearables"]),
        ("Lungekræft på CT-skanninger af lungerne.",
         "Lung cancer on CT scans.",
         ["ct", "oncology", "pulmonology"]),
    ])
    func aDanishPitchAndAnEnglishProfileMeetInTheSeededVocabulary(danish: String, english: String, concepts: [String]) throws {
        struct SeedTag: Decodable {
            struct Label: Decodable { var da: String; var en: String }
            var id: String
            var label: Label
            var synonyms: [String]?
        }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("seed/tags.json")
        let seeded = try JSONDecoder().decode([SeedTag].self, from: Data(contentsOf: file))
        let reader = ConceptReader(seeded.map { MatchTag(id: $0.id, labels: [$0.label.da, $0.label.en], synonyms: $0.synonyms ?? []) })
        let fromDanish = Set(reader.read(danish, language: .danish).map(\.tagId))
        let fromEnglish = Set(reader.read(english, language: .english).map(\.tagId))
        #expect(fromDanish.isSuperset(of: concepts), "\(fromDanish.sorted())")
        #expect(fromEnglish.isSuperset(of: concepts), "\(fromEnglish.sorted())")
    }
}
