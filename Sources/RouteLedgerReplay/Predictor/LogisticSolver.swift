import Foundation

/// A design matrix in compressed rows: row `i` holds columns `columns[rowStart[i]..<rowStart[i+1]]`.
struct SparseRows {
    var rowStart: [Int] = [0]
    var columns: [Int32] = []
    var values: [Double] = []
    var rowCount: Int { rowStart.count - 1 }

    mutating func append(columns rowColumns: [Int32], values rowValues: [Double]) {
        columns.append(contentsOf: rowColumns)
        values.append(contentsOf: rowValues)
        rowStart.append(columns.count)
    }
}

/// Full-batch L2-regularised logistic regression for several targets over one design matrix, by L-BFGS.
///
/// Minimises, per head h, (1/n) Σᵢ [ln(1 + e^{zᵢ}) − yᵢ zᵢ] + (λ/2) Σ_{j≠bias} w_j² with zᵢ = xᵢ·w; soft labels in
/// 0...1 are fine. The objective is strictly convex, so the answer is its unique minimum whatever the row order:
/// training is deterministic without any shuffling, and the only knob is λ.
/// The heads share one pass over the rows per evaluation; column 0 is taken to be the unpenalised bias.
enum LogisticSolver {
    struct Result {
        /// One weight vector per head, `columnCount` long.
        var weights: [[Double]]
        var iterations: Int
    }

    static func fit(_ x: SparseRows, columnCount: Int, targets: [[Double]], l2: Double, initialBias: [Double],
                    maxIterations: Int, tolerance: Double, memory: Int = 8) -> Result {
        let heads = targets.count
        let n = x.rowCount
        let size = heads * columnCount
        var w = [Double](repeating: 0, count: size)
        for h in 0..<heads { w[h * columnCount] = initialBias[h] }
        guard n > 0, size > 0 else {
            return Result(weights: (0..<heads).map { Array(w[$0 * columnCount..<($0 + 1) * columnCount]) }, iterations: 0)
        }
        let invN = 1 / Double(n)
        var z = [Double](repeating: 0, count: n * heads)

        /// Objective and gradient at `w` (gradient written into `grad`).
        func evaluate(_ w: [Double], _ grad: inout [Double]) -> Double {
            var loss = 0.0
            x.rowStart.withUnsafeBufferPointer { start in
            x.columns.withUnsafeBufferPointer { cols in
            x.values.withUnsafeBufferPointer { vals in
            w.withUnsafeBufferPointer { w in
            z.withUnsafeMutableBufferPointer { z in
            grad.withUnsafeMutableBufferPointer { g in
                for j in 0..<size { g[j] = 0 }
                for h in 0..<heads {
                    let base = h * columnCount
                    targets[h].withUnsafeBufferPointer { y in
                        for i in 0..<n {
                            var s = 0.0
                            for k in start[i]..<start[i + 1] { s += w[base + Int(cols[k])] * vals[k] }
                            z[i] = s
                            // ln(1 + e^s) − y s, and its derivative σ(s) − y, computed stably.
                            let e: Double
                            if s > 0 {
                                let t = exp(-s)
                                loss += s + log1p(t) - y[i] * s
                                e = 1 / (1 + t) - y[i]
                            } else {
                                let t = exp(s)
                                loss += log1p(t) - y[i] * s
                                e = t / (1 + t) - y[i]
                            }
                            let r = e * invN
                            for k in start[i]..<start[i + 1] { g[base + Int(cols[k])] += r * vals[k] }
                        }
                    }
                }
                loss *= invN
                for h in 0..<heads {
                    let base = h * columnCount
                    for j in 1..<columnCount {
                        let v = w[base + j]
                        loss += 0.5 * l2 * v * v
                        g[base + j] += l2 * v
                    }
                }
            }}}}}}
            return loss
        }

        var grad = [Double](repeating: 0, count: size)
        var f = evaluate(w, &grad)
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var direction = [Double](repeating: 0, count: size)
        var candidate = [Double](repeating: 0, count: size)
        var candidateGrad = [Double](repeating: 0, count: size)
        var alpha = [Double](repeating: 0, count: memory)
        var iterations = 0

        func dot(_ a: [Double], _ b: [Double]) -> Double {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                var s = 0.0
                for j in 0..<a.count { s += a[j] * b[j] }
                return s
            }}
        }
        func maxAbs(_ a: [Double]) -> Double {
            a.withUnsafeBufferPointer { a in
                var m = 0.0
                for v in a { m = max(m, abs(v)) }
                return m
            }
        }

        while iterations < maxIterations, maxAbs(grad) > tolerance {
            iterations += 1
            // Two-loop recursion: direction = −H·grad.
            for j in 0..<size { direction[j] = -grad[j] }
            let m = sHistory.count
            for i in stride(from: m - 1, through: 0, by: -1) {
                alpha[i] = rhoHistory[i] * dot(sHistory[i], direction)
                let a = alpha[i]
                yHistory[i].withUnsafeBufferPointer { y in
                    direction.withUnsafeMutableBufferPointer { d in for j in 0..<size { d[j] -= a * y[j] } }
                }
            }
            if m > 0 {
                let gamma = dot(sHistory[m - 1], yHistory[m - 1]) / dot(yHistory[m - 1], yHistory[m - 1])
                for j in 0..<size { direction[j] *= gamma }
            } else {
                let scale = 1 / max(1e-12, dot(grad, grad).squareRoot())
                for j in 0..<size { direction[j] *= scale }
            }
            for i in 0..<m {
                let b = rhoHistory[i] * dot(yHistory[i], direction)
                let a = alpha[i] - b
                sHistory[i].withUnsafeBufferPointer { s in
                    direction.withUnsafeMutableBufferPointer { d in for j in 0..<size { d[j] += a * s[j] } }
                }
            }
            var slope = dot(grad, direction)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                let scale = 1 / max(1e-12, dot(grad, grad).squareRoot())
                for j in 0..<size { direction[j] = -grad[j] * scale }
                slope = dot(grad, direction)
            }
            // Backtracking line search (Armijo).
            var step = 1.0
            var fNew = f
            var accepted = false
            for _ in 0..<40 {
                for j in 0..<size { candidate[j] = w[j] + step * direction[j] }
                fNew = evaluate(candidate, &candidateGrad)
                if fNew <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            var s = [Double](repeating: 0, count: size)
            var y = [Double](repeating: 0, count: size)
            for j in 0..<size {
                s[j] = candidate[j] - w[j]
                y[j] = candidateGrad[j] - grad[j]
            }
            let sy = dot(s, y)
            swap(&w, &candidate)
            swap(&grad, &candidateGrad)
            let decrease = f - fNew
            f = fNew
            if sy > 1e-12 {
                if sHistory.count == memory {
                    sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst()
                }
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
            }
            if decrease <= 2e-9 * max(1, abs(f)) { break }
        }
        return Result(weights: (0..<heads).map { Array(w[$0 * columnCount..<($0 + 1) * columnCount]) },
                      iterations: iterations)
    }
}
