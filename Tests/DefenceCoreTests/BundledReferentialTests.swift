import DefenceCore
import Foundation
import Testing

@Suite struct BundledReferentialTests {
    let loaded: LoadedReferential
    var referential: Referential { loaded.referential }

    init() throws {
        loaded = try ReferentialLoader.bundled()
    }

    @Test func isValidAndHashed() {
        #expect(ReferentialLoader.validate(referential).isEmpty)
        #expect(loaded.hash.count == 64)
        #expect(referential.title == "Expert en informatique et système d’information")
    }

    @Test func sevenBlocksWithTheirCompetenceCounts() {
        let counts = Dictionary(grouping: referential.competences, by: \.block).mapValues(\.count)
        #expect(referential.blocks.map(\.code) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"])
        #expect(counts == ["A1": 7, "A2": 8, "A3": 8, "A4": 9, "A5": 8, "A6": 5, "A7": 2])
        #expect(referential.competences.count == 47)
        #expect(referential.criteriaCount == 176)
    }

    @Test func competencesAreNumberedWithoutGaps() {
        for block in referential.blocks {
            let codes = referential.competences(block: block.code).map(\.code)
            #expect(codes == (1...codes.count).map { "\(block.code)C\($0)" })
        }
    }

    static let epreuves: [String: Int] = [
        "A1C1": 2, "A1C2": 2, "A1C3": 2, "A1C4": 1, "A1C5": 1, "A1C6": 2, "A1C7": 2,
        "A2C1": 2, "A2C2": 2, "A2C3": 2, "A2C4": 2, "A2C5": 2, "A2C6": 2, "A2C7": 2, "A2C8": 2,
        "A3C1": 2, "A3C2": 2, "A3C3": 2, "A3C4": 2, "A3C5": 2, "A3C6": 2, "A3C7": 2, "A3C8": 2,
        "A4C1": 2, "A4C2": 2, "A4C3": 2, "A4C4": 2, "A4C5": 2, "A4C6": 1, "A4C7": 2, "A4C8": 2, "A4C9": 2,
        "A5C1": 1, "A5C2": 1, "A5C3": 1, "A5C4": 2, "A5C5": 1, "A5C6": 1, "A5C7": 1, "A5C8": 1,
        "A6C1": 1, "A6C2": 1, "A6C3": 1, "A6C4": 1, "A6C5": 1,
        "A7C1": 2, "A7C2": 2
    ]

    /// Competences whose row has no modality text: the épreuve comes from the merged cell above.
    static let implied: Set<String> = [
        "A1C3", "A1C5", "A1C7", "A2C2", "A2C3", "A2C6", "A2C7", "A2C8", "A3C2", "A3C4", "A3C5", "A3C6", "A3C7", "A3C8", "A4C2", "A4C3", "A4C5", "A4C8", "A4C9", "A5C6", "A5C8", "A6C3", "A6C5", "A7C2"
    ]

    @Test func epreuveOfEveryCompetence() {
        #expect(Dictionary(uniqueKeysWithValues: referential.competences.map { ($0.code, $0.epreuve) }) == Self.epreuves)
        #expect(Set(referential.competences.filter { !$0.epreuveStated }.map(\.code)) == Self.implied)
    }

    @Test func preparationHoursFollowTheEpreuveCells() {
        for competence in referential.competences {
            switch (competence.epreuve, competence.block) {
            case (1, _): #expect(competence.preparationHours == nil, "\(competence.code)")
            case (2, "A5"), (2, "A7"): #expect(competence.preparationHours == 21, "\(competence.code)")
            default: #expect(competence.preparationHours == 30, "\(competence.code)")
            }
        }
    }

    @Test func epreuvesAndSpecialisations() throws {
        let dossier = try #require(referential.epreuve(1))
        let mspr = try #require(referential.epreuve(2))
        #expect((dossier.kind, dossier.oralMinutes, dossier.maxCandidates) == ("dossier", 45, 1))
        #expect((mspr.kind, mspr.oralMinutes, mspr.maxCandidates, mspr.jurySize) == ("mspr", 30, 4, 2))
        #expect(mspr.preparationHours == [30, 21])
        #expect(referential.specialisations.map(\.blocks) == [
            ["A1", "A2", "A3", "A4", "A5"], ["A1", "A2", "A3", "A4", "A6", "A7"],
        ])
        #expect(referential.finalAssessment?.oralMinutes == 45)
    }

    @Test func tasksAndSubtasksResolve() throws {
        let a1 = try #require(referential.block("A1"))
        #expect(a1.tasks.map(\.code) == ["A1T1", "A1T2", "A1T3"])
        #expect(a1.tasks[1].subtasks.map(\.code) == ["A1T2S1", "A1T2S2", "A1T2S3", "A1T2S4"])
        #expect(a1.tasks[2].subtasks.map(\.title) == ["Elaboration d’une stratégie", "Préconisations"])
        #expect(referential.competence("A1C7")?.subtask == "A1T3S2")
        #expect(referential.competence("A2C1")?.subtask == "A2T1S1")
    }

    @Test func noModalityTextOrPageDebrisInTitlesOrCriteria() {
        let debris = ["Epreuve", "Durée", "Soutenance orale", "Dossier de 50", "Travail individuel", "MSPR", "http",
                      "ELEMENTS COMPLEMENTAIRES", "jury de deux", " + ", "  "]
        for competence in referential.competences {
            var texts = [competence.title] + competence.criteria.map(\.text)
            texts += competence.criteriaGroups.compactMap(\.leadIn)
            for text in texts {
                for word in debris {
                    #expect(!text.contains(word), "\(competence.code): '\(word)' in \(text)")
                }
                #expect(!text.hasPrefix("-") && !text.hasPrefix(".") && !text.hasSuffix("+"), "\(competence.code): \(text)")
            }
        }
    }

    @Test func everyCriterionIsWordForWordFromTheSeed() throws {
        let url = try #require(Bundle.module.url(forResource: "referential-seed", withExtension: "txt", subdirectory: "Fixtures"))
        let seed = try String(contentsOf: url, encoding: .utf8)
        let words = SeedWords(seed)
        for competence in referential.competences {
            var texts = [competence.title] + competence.criteria.map(\.text)
            texts += competence.criteriaGroups.compactMap(\.leadIn)
            for text in texts {
                let found = words.contains(text)
                #expect(found, "\(competence.code): not found word for word in the seed: \(text)")
            }
        }
    }

    typealias Expected = (title: String, leadIns: [String?], criteria: [String])

    /// One competence per block, typed from the seed, including its traps (page breaks, modality text
    /// between bullets, page headers, typos kept).
    static let verbatim: [String: Expected] = [
        "A1C5": (
            title: "Identifier les informations sensibles, les risques, les zones critiques et les chemins d’attaque possibles d’un système d’information existant à l’aide de la cartographie afin d’aider le/la RSSI à définir une politique de sécurité",
            leadIns: ["Le candidat est en capacité de présenter une cartographie des risques du SI analysant les éléments suivants :"],
            criteria: [
                "La confidentialité : il précise les règles d’authentification et d’accès aux ressources informatiques du SI ;",
                "L’intégrité : il précise les règles garantissant l’exactitude, la complétude et la non altération des données du SI ;",
                "La disponibilité : il précise les procédures mises en place pour garantir la disponibilité des ressources informatiques du SI.",
                "Il formalise à l’écrit une analyse du résultat de cette cartographie mettant en exergue les risques et zones critiques du SI",
            ]
        ),
        "A2C1": (
            title: "Identifier l’ensemble des étapes de réalisation du système d’information pour organiser le projet en tâches et livrables en répartissant les activités en fonction des ressources humaines, techniques et financières à mobiliser",
            leadIns: ["Le candidat est en capacité de présenter l’organisation du projet en précisant les points suivants :", nil],
            criteria: [
                "Le découpage du projet en actions à entreprendre/activités",
                "L’organisation : les tâches, l’enchainement de celles-ci, les ressources à affecter pour chacune d’entre elles",
                "les objectifs délais : dates début, lancement, jalons",
                "les objectifs coûts : budget alloué dans sa globalité et par ressource",
                "Résultats attendus : Graphe PERT ou Graphe d’ordonnancement des tâches (au choix du candidat) précisant les ressources matérielles, humaines, la durée et les délais par tâche ainsi que le chemin critique",
            ]
        ),
        "A3C1": (
            title: "Piloter les prestataires extérieurs éventuels gérant les ressources informatiques d’un système d’information existant listées dans la cartographie établie afin de sécuriser la mise en œuvre technique",
            leadIns: ["Le candidat est en capacité de présenter un tableau de bord précisant les éléments suivants :", "Le candidat démontre une utilisation appropriée d’un tableur pour concevoir son tableau de bord avec utilisation :", nil],
            criteria: [
                "Coordonnées des prestataires",
                "Nature des prestations",
                "Type de prestation : niveaux de services (niveaux SLA)",
                "Dates et durée des contrats de prestation",
                "Les Indicateurs de performance retenus pour le suivi de chacun des prestataires : Il précise les pénalités associées qui doivent être en cohérence avec les SLA (niveau de service)",
                "Fréquence du suivi : journalier, hebdomadaire, mensuel",
                "de calculs complexes",
                "de tableaux croisés",
                "de graphiques pour argumenter son analyse",
                "Le résultat attendu de ce tableau de bord correspond aux attendus d’un tableau de suivi de performance en tant que manager",
            ]
        ),
        "A4C1": (
            title: "Collecter les besoins en données des directions métiers de l’entreprise afin d’avoir une vision structurée de l’ensemble des données du système d’information et partager la stratégie Data globale avec le comité de direction",
            leadIns: ["Le candidat propose une Stratégie de gestion de données globale :"],
            criteria: [
                "il collecte les besoins en termes de données des directions métiers à partir du cahier des charges",
                "Il modélise le processus à déployer pour collecter, structurer, gérer et valoriser les données",
                "Il formalise un descriptif écrit de son processus et liste ses sources de données (vocabulaire technique adapté, timing du processus adapté à la réalisation)",
                "Il illustre son écrit par un schéma (il présente un diagramme de flux à l’aide d’un outil approprié type BPM ou ETL)",
            ]
        ),
        "A5C4": (
            title: "Développer une solution applicative intégrée en utilisant le paramétrage et le langage de programmation spécifique de l’éditeur dans le respect du cahier des charges établi afin de répondre aux besoins utilisateurs/directions métiers",
            leadIns: ["Le candidat est en capacité de Développer une application dans un environnement d’un progiciel intégré (SAP, MSDynamics, SalesForce) :"],
            criteria: [
                "Il paramètre un module spécifique d’un progiciel intégré",
                "Il développe une partie d’un module intégré en utilisant le langage spécifique du progiciel intégré ( ABAP, X++, Apex )",
                "Il conçoit et détaille une logique de développement dans le respect du cahier des charges",
                "En résultat attendu, il doit faire une démonstration technique de son application (interprétation de certaines lignes de codes",
            ]
        ),
        "A6C5": (
            title: "Assurer une maintenance évolutive et corrective en fonction des évolutions technologiques (changements de versions) afin de réduire les dépenses d’investissements et d’exploitation",
            leadIns: ["Le candidat est en capacité de formaliser un plan de maintenance de l’infrastructure de l’entreprise:"],
            criteria: [
                "Il propose un type de maintenance préventive (systématique, conditionnelle)",
                "Il préconise une méthode pour assurer la maintenance préventive (AMDEC, MBF,..)",
                "Il définit les opérations techniques pour anticiper les dysfonctionnements selon les critères suivants : (disposition réglementaire, préconisation des constructeurs,…)",
                "Il utilise un outil de maintenance prédictive ou prévisionnelle adaptée à l’environnement technique ( des logiciels de Data analytics de type InUse)",
            ]
        ),
        "A7C1": (
            title: "Mettre en place une plateforme de communication sécurisée entre les solutions cloud en utilisant des services d’authentification et d’identification afin de veiller à la sécurité des accès aux services",
            leadIns: ["Le candidat est en capacité de mettre en place une plateforme de communication unifiée et sécurisée entre les solutions Cloud:"],
            criteria: [
                "Il sélectionne une plateforme de communication unifiée Cloud de type UCaaS",
                "Il met en œuvre une procédure de sécurité d’accès entre les solutions Cloud en se basant sur les référentiels du Cloud Security Alliance (BYOK, HSM, CASB)",
            ]
        ),
    ]

    @Test(arguments: ["A1C5", "A2C1", "A3C1", "A4C1", "A5C4", "A6C5", "A7C1"])
    func verbatimCriteria(_ code: String) throws {
        let competence = try #require(referential.competence(code))
        let expected = try #require(Self.verbatim[code])
        #expect(competence.title == expected.title)
        #expect(competence.criteriaGroups.map(\.leadIn) == expected.leadIns)
        #expect(competence.criteria.map(\.text) == expected.criteria)
        #expect(competence.criteria.map(\.id) == (1...expected.criteria.count).map { "\(code).\($0)" })
    }

    @Test func typosAreKept() {
        let all = referential.competences.flatMap { $0.criteria.map(\.text) + $0.criteriaGroups.compactMap(\.leadIn) }
        #expect(all.contains { $0.contains("Google Allert") })
        #expect(all.contains { $0.contains("Sélenuim") })
        #expect(all.contains { $0.hasPrefix("Il redige et diffuse") })
        #expect(all.contains { $0.contains("veille technologie en français") })
    }
}

/// The seed as a sequence of words, to check that a text appears in it word for word, in order.
///
/// The PDF's columns are interleaved, so a criterion may be interrupted by modality text or a page
/// header; the check allows such interruptions (at most 120 words in all) but no change to any word.
struct SeedWords {
    let words: [Substring]
    let positions: [Substring: [Int]]

    init(_ text: String) {
        let cleaned = text.split(whereSeparator: { $0.isWhitespace }).map { word -> Substring in
            var word = word
            while let first = word.first, "-.–".contains(first), word.dropFirst().first?.isLetter == true {
                word = word.dropFirst()
            }
            return word
        }
        words = cleaned
        var positions: [Substring: [Int]] = [:]
        for (index, word) in cleaned.enumerated() { positions[word, default: []].append(index) }
        self.positions = positions
    }

    func contains(_ text: String) -> Bool {
        let wanted = text.split(whereSeparator: { $0.isWhitespace }).map(Substring.init)
        guard let first = wanted.first else { return false }
        for start in positions[first] ?? [] {
            var index = start
            var skipped = 0
            var matched = 1
            while matched < wanted.count, index + 1 < words.count, skipped <= 120 {
                index += 1
                if words[index] == wanted[matched] { matched += 1 } else { skipped += 1 }
            }
            if matched == wanted.count { return true }
        }
        return false
    }
}
