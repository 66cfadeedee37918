import DefenceConsole
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The terminal in raw mode with the alternate screen; restored on exit, error and Ctrl-C.
final class Terminal: @unchecked Sendable {
    // @unchecked: `original` is written once in `enter()` before any other thread reads it, and `lastFrame` is
    // only touched from `show`, which the console calls from its actor (one caller at a time).
    private var original = termios()
    private var lastFrame: [String] = []
    private var entered = false

    /// A key press.
    typealias Key = ConsoleKey

    func enter() {
        tcgetattr(STDIN_FILENO, &original)
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l")
        entered = true
        // Whatever happens, the terminal comes back: on SIGTERM/SIGHUP too.
        Terminal.current = self
        for sig in [SIGTERM, SIGHUP] {
            signal(sig) { _ in
                Terminal.current?.leave()
                exit(1)
            }
        }
        atexit { Terminal.current?.leave() }
    }

    nonisolated(unsafe) static var current: Terminal?

    func leave() {
        guard entered else { return }
        entered = false
        write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
    }

    /// The window's size (re-read on every frame, so a resize is picked up at the next draw).
    func size() -> (rows: Int, columns: Int) {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return (Int(size.ws_row), Int(size.ws_col))
        }
        return (24, 80)
    }

    /// Draws a frame (only when it changed).
    func show(_ rows: [String]) {
        guard rows != lastFrame else { return }
        lastFrame = rows
        write("\u{1B}[H\u{1B}[2J" + rows.joined(separator: "\r\n"))
    }

    /// The next key, or nil at the end of input.
    func readKey() async -> Key? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Terminal.blockingReadKey())
            }
        }
    }

    private static func blockingReadKey() -> Key? {
        var byte: UInt8 = 0
        guard read(STDIN_FILENO, &byte, 1) == 1 else { return nil }
        switch byte {
        case 3: return .interrupt
        case 9: return .tab
        case 10, 13: return .enter
        case 127, 8: return .backspace
        case 27:
            // An escape sequence is read whole, so that its bytes never become keys of their own (Ctrl+← is
            // ESC [ 1 ; 5 D: its "D" must not decide). A lone ESC (nothing follows at once) is Escape.
            var pending = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&pending, 1, 30) > 0 else { return .escape }
            var introducer: UInt8 = 0
            guard read(STDIN_FILENO, &introducer, 1) == 1 else { return .escape }
            guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else { return .other }
            // Parameters and intermediates (0x20–0x3F), then one final byte (0x40–0x7E).
            var body: [UInt8] = []
            while body.count < 16 {
                var next: UInt8 = 0
                guard poll(&pending, 1, 30) > 0, read(STDIN_FILENO, &next, 1) == 1 else { return .other }
                body.append(next)
                if (0x40...0x7E).contains(next) { break }
            }
            return ConsoleKey.escapeSequence(introducer: introducer, body)
        case 0xC0...0xF7:
            // A multi-byte UTF-8 character (é, ç…): read its continuation bytes.
            let extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : 1
            var bytes = [byte] + [UInt8](repeating: 0, count: extra)
            guard bytes.withUnsafeMutableBufferPointer({ read(STDIN_FILENO, $0.baseAddress! + 1, extra) }) == extra,
                let text = String(validating: bytes, as: UTF8.self), let character = text.first
            else { return .character("?") }
            return .character(character)
        default:
            return .character(Character(Unicode.Scalar(byte)))
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
