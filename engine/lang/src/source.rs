//! Source files and the mapping from byte offsets (what hcl-edit records) to the file, line and
//! column that diagnostics show.

use std::ops::Range;
use std::sync::Arc;

use slipway_core::{Pos, SourceRange};

/// Identifies a file within [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One loaded file: its display name, its text, and where each line starts.
#[derive(Debug)]
pub struct SourceFile {
    pub name: Arc<str>,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile { name: name.into(), text, line_starts }
    }

    /// The 1-based line and character column of a byte offset (clamped to the text, and moved
    /// back to the start of the character it falls inside).
    pub fn pos(&self, byte: usize) -> Pos {
        let byte = floor_char_boundary(&self.text, byte);
        let line_index = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self.text.get(line_start..byte).map_or(byte - line_start, |s| s.chars().count()) + 1;
        Pos { line: line_index + 1, column, byte }
    }

    pub fn range(&self, span: Range<usize>) -> SourceRange {
        SourceRange { filename: self.name.clone(), start: self.pos(span.start), end: self.pos(span.end) }
    }
}

/// `index` clamped to `text` and moved back to a character boundary, so that slicing there cannot
/// panic: hcl-edit reports an error at end of input on the last byte, which may be inside a
/// multi-byte character.
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Every file read in one run, so that any span can be shown with its source line.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Sources::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The file whose display name is `name`.
    pub fn by_name(&self, name: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| &*f.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// The source range of a span in file `id`, when both are known.
    pub fn range(&self, id: FileId, span: Option<Range<usize>>) -> Option<SourceRange> {
        Some(self.get(id)?.range(span?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let f = SourceFile::new("main.tf", "a = 1\nbé = \"x\"\n");
        assert_eq!(f.pos(0), Pos { line: 1, column: 1, byte: 0 });
        // "bé = " : é is two bytes but one column.
        let p = f.pos(6 + 5);
        assert_eq!((p.line, p.column), (2, 5));
    }

    #[test]
    fn an_offset_inside_a_character_is_moved_to_its_start() {
        let f = SourceFile::new("main.tf", "a\u{fffd}");
        assert_eq!(f.pos(2), Pos { line: 1, column: 2, byte: 1 });
        assert_eq!(floor_char_boundary("a\u{fffd}", 9), 4);
    }
}
