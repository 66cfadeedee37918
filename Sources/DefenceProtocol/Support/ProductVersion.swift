/// The product's version: the one string the server's greeting (`server=defence-server/<version>`), `defence-server
/// --version` and `defence --version` print. Raise it here only; CHANGELOG.md names each released version.
public enum ProductVersion {
    /// The version, in semantic versioning.
    public static let current = "0.1.0"
}
