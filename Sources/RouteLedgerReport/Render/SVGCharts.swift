import Foundation

/// Escapes text for HTML element content and quoted attribute values (SVG inline in HTML included).
func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(character)
        }
    }
    return out
}

/// A fixed palette handed out by sorted key, so the same model (or Region) gets the same colour
/// everywhere in one report, whatever order the tables list it in.
struct ChartPalette: Sendable {
    /// Tableau 10 first (distinct hues), then their light and dark companions. Keys beyond the
    /// palette's length reuse colours in order.
    static let colors: [String] = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
        "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d", "#499894", "#86bcb6", "#ff9d9a", "#79706e", "#d37295", "#d4a6c8",
    ]
    /// A second fixed order, so Regions do not look like models.
    static let regionColors: [String] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    private let index: [String: Int]
    private let colors: [String]

    init(keys: [String], colors: [String] = ChartPalette.colors) {
        var index: [String: Int] = [:]
        for key in Set(keys).sorted() { index[key] = index.count }
        self.index = index
        self.colors = colors
    }

    func color(_ key: String) -> String {
        guard let position = index[key] else { return "#888888" }
        return colors[position % colors.count]
    }

    /// Dark or light text, whichever reads better on `color`.
    static func textColor(on color: String) -> String {
        let hex = Array(color.dropFirst())
        guard hex.count == 6 else { return "#111111" }
        func channel(_ offset: Int) -> Double { Double(Int(String(hex[offset..<offset + 2]), radix: 16) ?? 0) / 255 }
        let luminance = 0.299 * channel(0) + 0.587 * channel(2) + 0.114 * channel(4)
        return luminance > 0.6 ? "#111111" : "#ffffff"
    }
}

/// One part of a stacked 100 % bar.
struct BarSegment: Sendable {
    var key: String
    var label: String
    /// Fraction of the row, 0…1.
    var fraction: Double
    var color: String
    /// Extra text for the tooltip (`<title>`), e.g. the request count.
    var detail: String
}

struct StackedBarRow: Sendable {
    var label: String
    /// Right-aligned detail on the label line (request count…).
    var note: String
    var segments: [BarSegment]
}

/// One x position of a daily chart.
struct DailyValue: Sendable {
    var label: String
    var value: Double?
}

struct BarSeries: Sendable {
    var name: String
    var color: String
    var values: [Double?]
}

struct LatencyRow: Sendable {
    var label: String
    var color: String
    var p50: UInt32?
    var p90: UInt32?
    var p99: UInt32?
    var samples: Int64
}

/// Small inline SVG charts. Every chart is an `<svg class="chart" data-chart=…>` with a `viewBox`
/// (it scales with the page), `role="img"` and a `<title>`; coordinates print with fixed decimals so
/// the same input gives the same bytes.
enum SVGCharts {
    static let width = 560.0
    static let fontFamily = "system-ui, -apple-system, &quot;Segoe UI&quot;, Roboto, &quot;Liberation Sans&quot;, Arial, sans-serif"

    // MARK: Building blocks

    static func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int64(rounded)) }
        return Formatting.fixed(rounded, 1)
    }

    static func open(name: String, title: String, description: String, height: Double) -> String {
        "<svg class=\"chart\" data-chart=\"\(escapeHTML(name))\" role=\"img\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
            + "preserveAspectRatio=\"xMidYMid meet\" font-family=\"\(fontFamily)\" font-size=\"13\" "
            + "aria-labelledby=\"\(escapeHTML(name))-title \(escapeHTML(name))-desc\">"
            + "<title id=\"\(escapeHTML(name))-title\">\(escapeHTML(title))</title>"
            + "<desc id=\"\(escapeHTML(name))-desc\">\(escapeHTML(description))</desc>"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", size: Double? = nil,
                     fill: String = "#1b1f24", weight: String? = nil) -> String {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\""
        if anchor != "start" { attributes += " text-anchor=\"\(anchor)\"" }
        if let size { attributes += " font-size=\"\(n(size))\"" }
        attributes += " fill=\"\(fill)\""
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        return "<text \(attributes)>\(escapeHTML(content))</text>"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, opacity: Double? = nil,
                     tooltip: String? = nil) -> String {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(w, 0)))\" height=\"\(n(max(h, 0)))\" fill=\"\(fill)\""
        if let opacity { attributes += " fill-opacity=\"\(Formatting.fixed(opacity, 2))\"" }
        guard let tooltip else { return "<rect \(attributes)/>" }
        return "<rect \(attributes)><title>\(escapeHTML(tooltip))</title></rect>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#d0d7de",
                     dash: Bool = false) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"1\""
            + (dash ? " stroke-dasharray=\"3 3\"" : "") + "/>"
    }

    /// Approximate rendered width of `text` at `size` (sans-serif averages about 0.58 em per character).
    static func textWidth(_ text: String, size: Double = 13, bold: Bool = false) -> Double {
        Double(text.count) * size * (bold ? 0.64 : 0.58)
    }

    static func truncated(_ text: String, fitting available: Double, size: Double = 13, bold: Bool = false) -> String {
        let maxCharacters = max(4, Int(available / (size * (bold ? 0.64 : 0.58))))
        guard text.count > maxCharacters else { return text }
        return String(text.prefix(maxCharacters - 1)) + "…"
    }

    /// A chart with nothing to draw still takes room and says so.
    static func noData(name: String, title: String, message: String = "No data in this window") -> String {
        let height = 120.0
        return open(name: name, title: title, description: message, height: height)
            + "<rect x=\"1\" y=\"1\" width=\"\(n(width - 2))\" height=\"\(n(height - 2))\" fill=\"none\" stroke=\"#d0d7de\" stroke-dasharray=\"4 4\"/>"
            + "<text class=\"no-data\" x=\"\(n(width / 2))\" y=\"\(n(height / 2 + 6))\" text-anchor=\"middle\" font-size=\"16\" fill=\"#57606a\">\(escapeHTML(message))</text>"
            + "</svg>"
    }

    /// An HTML legend (wraps on narrow screens; swatches are tiny SVGs so they print without backgrounds).
    static func legend(_ items: [(label: String, color: String, opacity: Double)]) -> String {
        guard !items.isEmpty else { return "" }
        var out = "<ul class=\"legend\">"
        for item in items {
            out += "<li>" + swatch(item.color, opacity: item.opacity) + escapeHTML(item.label) + "</li>"
        }
        return out + "</ul>"
    }

    static func swatch(_ color: String, opacity: Double = 1) -> String {
        let fillOpacity = opacity < 1 ? " fill-opacity=\"\(Formatting.fixed(opacity, 2))\"" : ""
        return "<svg class=\"sw\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" rx=\"2\" fill=\"\(color)\"\(fillOpacity)/></svg>"
    }

    /// The smallest 1, 2, 2.5 or 5 × 10ⁿ step that covers `maximum` in at most `ticks` steps.
    static func niceStep(_ maximum: Double, ticks: Int = 4) -> Double {
        guard maximum > 0, maximum.isFinite else { return 1 }
        let raw = maximum / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * magnitude >= raw * (1 - 1e-9) {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    // MARK: Stacked 100 % bars (routing distribution, cross-Region flows)

    static func stackedBars(name: String, title: String, description: String, rows: [StackedBarRow]) -> String {
        let left = 8.0, right = 8.0, top = 8.0
        let labelHeight = 23.0, barHeight = 28.0, gap = 14.0
        let rowHeight = labelHeight + barHeight + gap
        let axisHeight = 20.0
        let height = top + Double(rows.count) * rowHeight + axisHeight
        let plotWidth = width - left - right
        var out = open(name: name, title: title, description: description, height: height)
        // 0, 25, 50, 75, 100 % guides behind the bars.
        let axisY = top + Double(rows.count) * rowHeight
        for tick in 0...4 {
            let x = left + plotWidth * Double(tick) / 4
            out += line(x, top, x, axisY - gap + 2, stroke: "#d0d7de", dash: tick != 0 && tick != 4)
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            out += text(x, axisY + 9, "\(tick * 25)%", anchor: anchor, size: 13, fill: "#57606a")
        }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            let noteWidth = textWidth(row.note, size: 13)
            out += text(left, y + 16, truncated(row.label, fitting: plotWidth - noteWidth - 12, size: 15, bold: true),
                        size: 15, weight: "600")
            out += text(width - right, y + 16, row.note, anchor: "end", size: 13, fill: "#57606a")
            var x = left
            let total = row.segments.reduce(0) { $0 + max($1.fraction, 0) }
            let scale = total > 1 ? 1 / total : 1
            out += rect(left, y + labelHeight, plotWidth, barHeight, fill: "#eef1f4")
            for segment in row.segments {
                let w = plotWidth * max(segment.fraction, 0) * scale
                guard w > 0 else { continue }
                out += rect(x, y + labelHeight, w, barHeight, fill: segment.color,
                            tooltip: "\(segment.label): \(Formatting.percent(segment.fraction)) · \(segment.detail)")
                let label = Formatting.percent(segment.fraction, decimals: 0)
                if w >= textWidth(label, size: 14) + 8 {
                    out += text(x + w / 2, y + labelHeight + barHeight / 2 + 5, label, anchor: "middle", size: 14,
                                fill: ChartPalette.textColor(on: segment.color))
                }
                x += w
            }
        }
        return out + "</svg>"
    }

    // MARK: Daily line (haiku ratio)

    /// A 0…100 % line over days; gaps where a day has no value.
    static func ratioLine(name: String, title: String, description: String, points: [DailyValue], color: String) -> String {
        let height = 240.0
        let left = 46.0, right = 16.0, top = 18.0, bottom = 34.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var out = open(name: name, title: title, description: description, height: height)
        for tick in 0...4 {
            let y = top + plotHeight * (1 - Double(tick) / 4)
            out += line(left, y, width - right, y, dash: tick != 0)
            out += text(left - 6, y + 4, "\(tick * 25)%", anchor: "end", size: 13, fill: "#57606a")
        }
        let count = points.count
        func xAt(_ index: Int) -> Double {
            count == 1 ? left + plotWidth / 2 : left + plotWidth * (Double(index) + 0.5) / Double(count)
        }
        func yAt(_ value: Double) -> Double { top + plotHeight * (1 - min(max(value, 0), 1)) }
        let every = max(1, Int((Double(count) / 10).rounded(.up)))
        for (index, point) in points.enumerated() where index % every == 0 || index == count - 1 {
            out += text(xAt(index), height - bottom + 18, point.label, anchor: "middle", size: 13, fill: "#57606a")
        }
        // Runs of consecutive known values become polylines.
        var run: [String] = []
        func flush() {
            if run.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"\(run.joined(separator: " "))\"/>"
            }
            run.removeAll()
        }
        for (index, point) in points.enumerated() {
            if let value = point.value { run.append("\(n(xAt(index))),\(n(yAt(value)))") } else { flush() }
        }
        flush()
        let labelValues = count <= 16
        for (index, point) in points.enumerated() {
            guard let value = point.value else {
                out += text(xAt(index), top + plotHeight - 6, "n/a", anchor: "middle", size: 11, fill: "#8c959f")
                continue
            }
            out += "<circle cx=\"\(n(xAt(index)))\" cy=\"\(n(yAt(value)))\" r=\"4\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"1.5\">"
                + "<title>\(escapeHTML(point.label)): \(Formatting.percent(value))</title></circle>"
            if labelValues {
                let above = yAt(value) - 9
                out += text(xAt(index), above < top - 4 ? yAt(value) + 18 : above,
                            Formatting.percent(value, decimals: 0), anchor: "middle", size: 13)
            }
        }
        return out + "</svg>"
    }

    // MARK: Daily grouped bars (actual vs counterfactual cost)

    static func groupedBars(name: String, title: String, description: String, categories: [String],
                            series: [BarSeries], format: (Double) -> String) -> String {
        let height = 260.0
        let left = 64.0, right = 12.0, top = 16.0, bottom = 34.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maximum = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let step = niceStep(maximum)
        let topValue = max(step, (maximum / step).rounded(.up) * step)
        var out = open(name: name, title: title, description: description, height: height)
        let ticks = Int((topValue / step).rounded())
        for tick in 0...ticks {
            let value = step * Double(tick)
            let y = top + plotHeight * (1 - value / topValue)
            out += line(left, y, width - right, y, dash: tick != 0)
            out += text(left - 6, y + 4, axisMoney(value, step: step), anchor: "end", size: 13, fill: "#57606a")
        }
        let band = plotWidth / Double(max(categories.count, 1))
        let groupWidth = band * 0.74
        let barWidth = groupWidth / Double(max(series.count, 1))
        let every = max(1, Int((Double(categories.count) / 10).rounded(.up)))
        for (index, category) in categories.enumerated() {
            let x0 = left + band * Double(index) + (band - groupWidth) / 2
            for (position, item) in series.enumerated() {
                let x = x0 + barWidth * Double(position)
                guard index < item.values.count, let value = item.values[index] else {
                    out += text(x + barWidth / 2, top + plotHeight - 4, "n/a", anchor: "middle", size: 9, fill: "#8c959f")
                    continue
                }
                let h = plotHeight * max(value, 0) / topValue
                out += rect(x + 0.5, top + plotHeight - h, barWidth - 1, h, fill: item.color,
                            tooltip: "\(category) · \(item.name): \(format(value))")
            }
            if index % every == 0 || index == categories.count - 1 {
                out += text(left + band * (Double(index) + 0.5), height - bottom + 18, category, anchor: "middle",
                            size: 13, fill: "#57606a")
            }
        }
        return out + "</svg>"
    }

    /// Axis money: whole dollars once the step is a dollar or more, otherwise just enough decimals.
    static func axisMoney(_ value: Double, step: Double) -> String {
        if step >= 1 && step == step.rounded() { return "$" + Formatting.grouped(Int64(value.rounded())) }
        var decimals = 2
        while decimals < 6 && abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 { decimals += 1 }
        return "$" + Formatting.fixed(value, decimals)
    }

    // MARK: Latency ranges per model

    /// One row per model: light p99, medium p90 and solid p50 bars from zero, in the model's colour.
    static func latencyBars(name: String, title: String, description: String, rows: [LatencyRow]) -> String {
        let left = 8.0, right = 12.0, top = 8.0
        let labelHeight = 21.0, barHeight = 16.0, valuesHeight = 19.0, gap = 8.0
        let rowHeight = labelHeight + barHeight + valuesHeight + gap
        let axisHeight = 24.0
        let height = top + Double(rows.count) * rowHeight + axisHeight
        let plotWidth = width - left - right
        let maximum = Double(rows.compactMap { $0.p99 ?? $0.p90 ?? $0.p50 }.max() ?? 0)
        // Whole milliseconds on the axis (a 2.5 ms step would print as 2 ms).
        let step = max(1, niceStep(maximum).rounded(.up))
        let scaleMax = max(step, (maximum / step).rounded(.up) * step)
        var out = open(name: name, title: title, description: description, height: height)
        let axisY = top + Double(rows.count) * rowHeight
        let ticks = Int((scaleMax / step).rounded())
        for tick in 0...ticks {
            let value = step * Double(tick)
            let x = left + plotWidth * value / scaleMax
            out += line(x, top, x, axisY - gap + 2, dash: tick != 0)
            let anchor = tick == 0 ? "start" : tick == ticks ? "end" : "middle"
            let label = value >= 1000 && step >= 1000 ? Formatting.fixed(value / 1000, value.truncatingRemainder(dividingBy: 1000) == 0 ? 0 : 1) + " s"
                : Formatting.grouped(Int64(value)) + " ms"
            out += text(x, axisY + 10, label, anchor: anchor, size: 13, fill: "#57606a")
        }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            let values = "p50 \(Formatting.ms(row.p50)) · p90 \(Formatting.ms(row.p90)) · p99 \(Formatting.ms(row.p99))"
            out += text(left, y + 15, truncated(row.label, fitting: plotWidth, size: 15, bold: true), size: 15, weight: "600")
            let barY = y + labelHeight
            out += text(left, barY + barHeight + 15, values, size: 13, fill: "#57606a")
            out += rect(left, barY, plotWidth, barHeight, fill: "#eef1f4")
            if row.p50 == nil && row.p90 == nil && row.p99 == nil {
                out += text(left + 6, barY + barHeight - 4, "no latency samples", size: 13, fill: "#57606a")
                continue
            }
            for (label, value, opacity) in [("p99", row.p99, 0.3), ("p90", row.p90, 0.6), ("p50", row.p50, 1.0)] {
                guard let value else { continue }
                out += rect(left, barY, plotWidth * Double(value) / scaleMax, barHeight, fill: row.color, opacity: opacity,
                            tooltip: "\(row.label) \(label): \(Formatting.ms(value)) (\(Formatting.grouped(row.samples)) samples)")
            }
        }
        return out + "</svg>"
    }
}
