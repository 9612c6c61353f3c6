import Testing
import RecurrentCore
import RecurrentNN

/// Two parameters with known gradients: p (2×2) gets `2a ⊙ p + b` = [1.1, -6.3, 2.2, 1.0] and q gets
/// `3q²` = [27, 48, 0.1875]. Expected values from `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`.
private func parametersWithGradients() -> [Parameter] {
    let p = Parameter(Tensor([[0.5, -1.5], [2.0, 0.0]]))
    let q = Parameter(Tensor([3.0, -4.0, 0.25]))
    (p.value * p.value * Tensor([[1.0, 2.0], [0.5, 3.0]]) + p.value * Tensor([[0.1, -0.3], [0.2, 1.0]])).sum().backward()
    (q.value * q.value * q.value).sum().backward()
    return [p, q]
}

@Suite("Gradient clipping")
struct GradientClippingTests {
    @Test("clip by global norm returns the norm and scales by maxNorm / (norm + 1e-6)",
          arguments: [(Float(2), Float(55.495723724365234), [Float(0.03964269533753395), -0.22704452276229858, 0.0792853906750679, 0.03603881224989891], [Float(0.9730479121208191), 1.729862928390503, 0.006757277064025402]),
                      (Float(1), Float(85.7874984741211), [Float(0.025644762441515923), -0.1468745470046997, 0.051289524883031845, 0.02331341989338398], [Float(0.6294623613357544), 1.1190441846847534, 0.004371266346424818]),
                      (Float.infinity, Float(48), [Float(0.04583333432674408), -0.26250001788139343, 0.09166666865348816, 0.0416666679084301], [Float(1.125), 2.0, 0.0078125]),
                      (Float(3), Float(50.7277717590332), [Float(0.04336875304579735), -0.24838466942310333, 0.0867375060915947, 0.03942613676190376], [Float(1.064505696296692), 1.8924546241760254, 0.007392400875687599])])
    func clipNorm(normType: Float, norm: Float, p: [Float], q: [Float]) {
        let parameters = parametersWithGradients()
        let total = GradientClipping.clipNorm(of: parameters, maxNorm: 2, normType: normType)
        expectClose([total], [norm], relative: 1e-6, "norm")
        expectClose(parameters[0].grad!.scalars, p, relative: 1e-6, "p")
        expectClose(parameters[1].grad!.scalars, q, relative: 1e-6, "q")
        // The clipped gradients have norm maxNorm (up to the 1e-6 guard).
        expectClose([GradientClipping.totalNorm(of: parameters, normType: normType)], [2], relative: 1e-5, "clipped norm")
    }

    @Test("gradients within the limit are left exactly as they are")
    func noClipBelowLimit() {
        let parameters = parametersWithGradients()
        let before = parameters.map { $0.grad!.scalars }
        let norm = GradientClipping.clipNorm(of: parameters, maxNorm: 100)
        #expect(norm < 100)
        #expect(parameters.map { $0.grad!.scalars } == before)
    }

    @Test("by hand: the norm of [3, 4] is 5; clipping to 1 gives [0.6, 0.8]")
    func byHand() {
        let w = Parameter(Tensor([1.5, 2.0]))
        (w.value * w.value).sum().backward()  // gradient 2w = [3, 4]
        let norm = GradientClipping.clipNorm(of: [w, Parameter(Tensor([7]))], maxNorm: 1)  // the second has no gradient
        #expect(norm == 5)
        expectClose(w.grad!.scalars, [0.6, 0.8], relative: 1e-6)
    }

    @Test("no gradients: norm 0, nothing happens")
    func noGradients() {
        #expect(GradientClipping.clipNorm(of: [Parameter(Tensor([1, 2]))], maxNorm: 1) == 0)
        #expect(GradientClipping.totalNorm(of: []) == 0)
    }

    @Test("a NaN gradient gives a NaN norm (as in PyTorch)")
    func nanNorm() {
        let w = Parameter(Tensor([1, 2]))
        (w.value * Tensor([Float.nan, 1])).sum().backward()
        #expect(GradientClipping.clipNorm(of: [w], maxNorm: 1).isNaN)
    }

    @Test("clip by value clamps into [-limit, limit]")
    func clipValues() {
        let parameters = parametersWithGradients()
        GradientClipping.clipValues(of: parameters, limit: 5)
        #expect(parameters[0].grad!.scalars == [1.1, -5, 2.2, 1.0])
        #expect(parameters[1].grad!.scalars == [5, 5, 0.1875])
    }
}
