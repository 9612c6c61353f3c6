// Broadcasting arithmetic: + − × ÷ between tensors (PyTorch broadcasting rules) and with scalars.

extension Tensor {
    /// `lhs + rhs`, broadcast to a common shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = lhs.broadcastZipped(rhs, "+", +)
        let (sa, sb) = (lhs.shape, rhs.shape)
        return record("add", inputs: [lhs, rhs], output: out) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? g.summed(toShape: sb) : nil]
        }
    }

    /// `lhs − rhs`, broadcast to a common shape.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = lhs.broadcastZipped(rhs, "-", -)
        let (sa, sb) = (lhs.shape, rhs.shape)
        return record("sub", inputs: [lhs, rhs], output: out) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? g.mapped { -$0 }.summed(toShape: sb) : nil]
        }
    }

    /// `lhs × rhs` elementwise, broadcast to a common shape.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = lhs.broadcastZipped(rhs, "*", *)
        return record("mul", inputs: [lhs, rhs], output: out) { g, needs in
            [needs[0] ? g.broadcastZipped(rhs, "*", *).summed(toShape: lhs.shape) : nil,
             needs[1] ? g.broadcastZipped(lhs, "*", *).summed(toShape: rhs.shape) : nil]
        }
    }

    /// `lhs ÷ rhs` elementwise, broadcast to a common shape.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = lhs.broadcastZipped(rhs, "/", /)
        return record("div", inputs: [lhs, rhs], output: out) { g, needs in
            let gl = g.broadcastZipped(rhs, "/", /)
            return [needs[0] ? gl.summed(toShape: lhs.shape) : nil,
                    needs[1] ? gl.broadcastZipped(out, "*", { -$0 * $1 }).summed(toShape: rhs.shape) : nil]
        }
    }

    /// `-x`.
    public static prefix func - (x: Tensor) -> Tensor {
        record("neg", inputs: [x], output: x.mapped { -$0 }) { g, _ in [g.mapped { -$0 }] }
    }

    /// `x + s` for every value.
    public static func + (x: Tensor, s: Float) -> Tensor {
        record("add_scalar", inputs: [x], output: x.mapped { $0 + s }) { g, _ in [g] }
    }
    /// `s + x` for every value.
    public static func + (s: Float, x: Tensor) -> Tensor { x + s }
    /// `x − s` for every value.
    public static func - (x: Tensor, s: Float) -> Tensor { x + (-s) }
    /// `s − x` for every value.
    public static func - (s: Float, x: Tensor) -> Tensor {
        record("rsub_scalar", inputs: [x], output: x.mapped { s - $0 }) { g, _ in [g.mapped { -$0 }] }
    }
    /// `x × s` for every value.
    public static func * (x: Tensor, s: Float) -> Tensor {
        record("mul_scalar", inputs: [x], output: x.mapped { $0 * s }) { g, _ in [g.mapped { $0 * s }] }
    }
    /// `s × x` for every value.
    public static func * (s: Float, x: Tensor) -> Tensor { x * s }
    /// `x ÷ s` for every value.
    public static func / (x: Tensor, s: Float) -> Tensor { x * (1 / s) }
    /// `s ÷ x` for every value.
    public static func / (s: Float, x: Tensor) -> Tensor {
        let out = x.mapped { s / $0 }
        return record("rdiv_scalar", inputs: [x], output: out) { g, _ in
            [g.zipped(out, { $0 * $1 }).zipped(x, { -$0 / $1 })]
        }
    }
}
