import ArgumentParser
import DefenceClient
import Foundation

/// The client's errors as sentences in the reader's language, each saying what to do; the detail of an error
/// the sentence does not explain is kept after it.
enum ClientErrorText {
    /// The sentence for `error`, or nil for an error the command line prints itself (usage, exit codes).
    static func sentence(_ error: Error) -> String? {
        if let error = error as? ConsoleError { return error.description }
        guard let error = error as? ClientError else { return nil }
        switch error {
        case .unreachable(let host, let port, _, let detail):
            return L(
                "impossible de joindre un serveur à \(host):\(port). Vérifiez --server (hôte:port) et que defence-server y tourne. (\(detail))",
                "cannot reach a server at \(host):\(port). Check --server (host:port) and that defence-server runs there. (\(detail))"
            )
        case .certificateFile(let option, let path, .missing):
            return L(
                "\(option) \(path) : ce fichier n’existe pas ou ne peut pas être lu. Donnez le chemin d’un fichier PEM (en développement, Certs/ca.pem du serveur pour --ca).",
                "\(option) \(path): this file does not exist or cannot be read. Give the path of a PEM file (in development, the server's Certs/ca.pem for --ca)."
            )
        case .certificateFile(let option, let path, .notPEM):
            let what = option == "--client-key" ? L("une clé privée PEM (-----BEGIN PRIVATE KEY-----)", "a PEM private key (-----BEGIN PRIVATE KEY-----)")
                : L("un certificat PEM (-----BEGIN CERTIFICATE-----)", "a PEM certificate (-----BEGIN CERTIFICATE-----)")
            return L("\(option) \(path) n’est pas \(what).", "\(option) \(path) is not \(what).")
        case .tls(let detail):
            return L(
                "la poignée de main TLS a échoué : le certificat du serveur n’est pas signé par l’autorité de --ca (ou ne correspond pas à --pin), ou ne nomme pas l’hôte de --server. (\(detail))",
                "the TLS handshake failed: the server's certificate is not signed by the authority of --ca (or does not match --pin), or does not name the host of --server. (\(detail))"
            )
        case .timeout:
            return L("le serveur n’a pas répondu à temps ; réessayez, ou vérifiez le réseau.", "the server did not answer in time; try again, or check the network.")
        case .closed:
            return L("le serveur a fermé la connexion ; réessayez dans un instant.", "the server closed the connection; try again in a moment.")
        case .badAddress(let text):
            return L("« \(text) » n’est pas hôte:port, p. ex. 127.0.0.1:7443.", "'\(text)' is not host:port, e.g. 127.0.0.1:7443.")
        case .unexpected(let line):
            return L("ce serveur ne parle pas le protocole defence/1 : \(line)", "this server does not speak the defence/1 protocol: \(line)")
        case .failed(let code, let text, _):
            return L("refusé (\(code)) : \(text)", "refused (\(code)): \(text)")
        }
    }
}

extension DefenceCommand {
    /// Runs the command line, and prints a client error as a sentence in the reader's language.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let sentence = ClientErrorText.sentence(error) {
                FileHandle.standardError.write(Data((L("Erreur : ", "Error: ") + sentence + "\n").utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
