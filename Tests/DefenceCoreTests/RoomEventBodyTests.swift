import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// The wire's event bodies against the domain's events: every kind is written with its stored name as its type
/// (`EventBody.type` and `RoomEventKind.name` are two lists of the same 29 words; this keeps them one). The bodies'
/// reading back is `EventBodyTests`'.
@Suite struct RoomEventBodyTests {
    @Test func everyKindIsWrittenUnderItsStoredName() {
        let kinds = RoomEventJSONTests.samples(text: "un texte")
        guard case .scheduled(let plan) = kinds.first else { Issue.record("the samples start with scheduled"); return }
        let state = RoomState(scheduled: plan, at: RoomEventJSONTests.t0)
        for (index, kind) in kinds.enumerated() {
            let event = RoomEvent(room: "r1", seq: index + 1, at: RoomEventJSONTests.t0, kind: kind)
            #expect(event.body(in: state).type == kind.name, "\(kind.name)")
        }
    }
}
