import ArgumentParser
import DefenceConsole

/// The language of the command line's own texts (help, messages): the locale's, French by default.
/// (The room console also takes `--lang`.)
let commandLanguage = Language.resolve(nil)

/// Picks the French or English text for the command line.
func L(_ fr: String, _ en: String) -> String {
    commandLanguage.text(fr, en)
}

/// Picks the French or English help of an option, argument or flag.
func H(_ fr: String, _ en: String) -> ArgumentHelp {
    ArgumentHelp(commandLanguage.text(fr, en))
}
