import Foundation

/// One prompt answered by both models of a pair and scored (the `pairs.csv` row).
/// Scores are qualities in 0...1; `routerScore` is a router's own logged score when the labels carry one.
public struct LabeledPrompt: Sendable, Equatable {
    public var id: String
    public var text: String?
    public var inputTokens: Int?
    public var strongModel: String?
    public var weakModel: String?
    public var strongScore: Double
    public var weakScore: Double
    public var routerScore: Double?
    /// 1-based line of the record's first line in its file (a quoted CSV field may span lines).
    public var line: Int

    public init(id: String, text: String? = nil, inputTokens: Int? = nil, strongModel: String? = nil,
                weakModel: String? = nil, strongScore: Double, weakScore: Double, routerScore: Double? = nil,
                line: Int = 0) {
        self.id = id
        self.text = text
        self.inputTokens = inputTokens
        self.strongModel = strongModel
        self.weakModel = weakModel
        self.strongScore = strongScore
        self.weakScore = weakScore
        self.routerScore = routerScore
        self.line = line
    }

    /// What the strong model adds on this prompt (the oracle's routing score).
    public var gain: Double { strongScore - weakScore }
}

/// A labelled set as read from one file.
public struct LabelSet: Sendable, Equatable {
    public var file: String
    public var prompts: [LabeledPrompt]
    /// The column `--score-column` named, when one was read.
    public var scoreColumn: String?
    /// Rows skipped with their reason (counted, never silent).
    public var rejected: [ReplayInputIssue]

    public init(file: String, prompts: [LabeledPrompt], scoreColumn: String? = nil, rejected: [ReplayInputIssue] = []) {
        self.file = file
        self.prompts = prompts
        self.scoreColumn = scoreColumn
        self.rejected = rejected
    }
}

/// A rejected labels row: file and line, never the prompt text.
public struct ReplayInputIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { "\(file):\(line): \(message)" }
}

/// Errors of the replay layer; each names the file (and line) it is about.
public struct ReplayError: LocalizedError, Sendable, Equatable {
    public var file: String?
    public var line: Int?
    public var message: String
    public init(file: String? = nil, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var errorDescription: String? {
        switch (file, line) {
        case let (file?, line?): return "\(file):\(line): \(message)"
        case let (file?, nil): return "\(file): \(message)"
        default: return message
        }
    }
}
