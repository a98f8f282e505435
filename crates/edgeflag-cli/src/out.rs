//! Text output helpers: aligned tables and bars.

/// Prints rows as left-aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row.clone());
    }
}

/// A bar of up to `width` cells for a share in [0, 1].
pub fn bar(share: f64, width: usize) -> String {
    let cells = (share.clamp(0.0, 1.0) * width as f64).round() as usize;
    "█".repeat(cells)
}

pub fn percent(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}
