/// Danish and English stop words: words too common to say anything about a pitch or a profile.
/// They are dropped before stemming, and their counts tell the two languages apart.
enum StopWords {
    static let danish: Set<String> = [
        "ad", "af", "alle", "alt", "anden", "andet", "andre", "at", "bare", "begge", "blev", "blive",
        "bliver", "da", "de", "dem", "den", "denne", "dens", "der", "deres", "det", "dette", "dig",
        "din", "dine", "disse", "dit", "dog", "du", "efter", "eller", "en", "end", "er", "et", "for",
        "fordi", "fra", "få", "får", "gennem", "godt", "ham", "han", "hans", "har", "have", "hende",
        "hendes", "her", "hos", "hun", "hvad", "hvem", "hver", "hvilke", "hvilken", "hvis", "hvor",
        "hvordan", "hvorfor", "hvornår", "i", "ikke", "ind", "ingen", "intet", "jeg", "jer", "jeres",
        "jo", "kan", "kom", "komme", "kommer", "kun", "kunne", "lidt", "lige", "man", "mange", "med",
        "meget", "men", "mens", "mere", "mig", "min", "mine", "mit", "mod", "må", "ned", "nej", "noget",
        "nogle", "nok", "nu", "når", "og", "også", "om", "op", "os", "over", "på", "sa", "se", "selv",
        "sig", "sin", "sine", "sit", "skal", "skulle", "som", "så", "sådan", "thi", "til", "ud",
        "under", "var", "vi", "vil", "ville", "vor", "vores", "være", "været", "været",
    ]

    static let english: Set<String> = [
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
        "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
        "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
        "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
        "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
        "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she",
        "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
        "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
        "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
        "yourselves", "also", "may", "might", "must", "shall", "us", "we're", "i'm", "it's",
    ]
}
