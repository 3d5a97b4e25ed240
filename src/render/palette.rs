//! The few ANSI styles the renderers use, or none at all when colour is off (`-no-color`, a pipe).

/// Wraps text in ANSI escape codes when colour is on; passes it through unchanged otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    color: bool,
}

impl Palette {
    pub fn new(color: bool) -> Self {
        Palette { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }

    /// Secondary text: `-> null`, hidden-count comments.
    pub fn dim(self, text: &str) -> String {
        self.paint("90", text)
    }

    pub fn bold_red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub fn bold_green(self, text: &str) -> String {
        self.paint("1;32", text)
    }

    pub fn bold_cyan(self, text: &str) -> String {
        self.paint("1;36", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_codes_without_color() {
        assert_eq!(Palette::new(false).red("-"), "-");
        assert_eq!(Palette::new(true).red("-"), "\x1b[31m-\x1b[0m");
    }
}
