// Plain types shared by every translation unit. Nothing here holds code: the kernels are
// compiled once per SIMD target (cpp/src/kernels.cpp), and only these PODs -- raw pointers and
// sizes -- cross the dispatch boundary, so no Eigen or std template is shared between targets.
#pragma once

#include <cstdint>

namespace nncore {

// The names the Python side knows, one table each: X(constant, "python name"[, state]). Each
// entry makes the enum constant (its code is its position) and the name the compiled module
// exports (cpp/bindings/bind_names.cpp); nncore's Python code takes its names and codes from
// there, so a new activation or optimizer is its kernel unit plus one line here.
#define NNCORE_HIDDEN_ACTIVATIONS(X) \
  X(kRelu, "relu")                                                                                 \
  X(kTanh, "tanh")                                                                                 \
  X(kLogistic, "logistic")                                                                         \
  X(kIdentityHidden, "identity")                                                                   \
  X(kLeakyRelu, "leaky_relu")
#define NNCORE_OUTPUTS(X) \
  X(kSigmoid, "sigmoid")                                                                           \
  X(kSoftmax, "softmax")                                                                           \
  X(kIdentity, "identity")
// The third column is the optimizer state the step reads and writes, besides the parameters:
// kStateV (momentum velocity, Adam's first moment), kStateS (Adam's second moment).
#define NNCORE_OPTIMIZERS(X)         \
  X(kGD, "gd", kNoState)                                                                           \
  X(kMomentum, "momentum", kStateV)                                                                \
  X(kAdam, "adam", kStateV | kStateS)                                                              \
  X(kRmsprop, "rmsprop", kStateS)                                                                  \
  X(kNesterov, "nesterov", kStateV)
// What the training loop does when an epoch ends with a non-finite cost or state (numpy's
// np.errstate words): nothing, report the first such epoch and go on, or stop there and
// restore the last finite state.
#define NNCORE_NONFINITE_POLICIES(X) \
  X(kIgnoreNonFinite, "ignore")                                                                    \
  X(kReportNonFinite, "warn")                                                                      \
  X(kStopNonFinite, "raise")

#define NNCORE_ENUMERATOR(constant, ...) constant,
enum Hidden : int { NNCORE_HIDDEN_ACTIVATIONS(NNCORE_ENUMERATOR) };
enum Output : int { NNCORE_OUTPUTS(NNCORE_ENUMERATOR) };
enum Optimizer : int { NNCORE_OPTIMIZERS(NNCORE_ENUMERATOR) };
enum NonFinite : int { NNCORE_NONFINITE_POLICIES(NNCORE_ENUMERATOR) };
#undef NNCORE_ENUMERATOR
enum MaskMode : int { kNoDropout = 0, kGivenMasks = 1, kGenerateMasks = 2 };

// Optimizer state slots, a bit each (each slot is one vector in theta's flat layout).
enum StateSlot : unsigned { kNoState = 0, kStateV = 1, kStateS = 2 };

// The tables as data: name, code and (optimizers) state slots. `constexpr` variables have
// internal linkage, so no SIMD target's object shares a symbol with another's.
struct NamedCode {
  const char* name;
  int code;
  unsigned state;  // StateSlot bits (optimizers), else 0
};
#define NNCORE_NAMED(constant, name) NamedCode{name, constant, kNoState},
#define NNCORE_NAMED_OPTIMIZER(constant, name, state) NamedCode{name, constant, state},
constexpr NamedCode kHiddenNames[] = {NNCORE_HIDDEN_ACTIVATIONS(NNCORE_NAMED)};
constexpr NamedCode kOutputNames[] = {NNCORE_OUTPUTS(NNCORE_NAMED)};
constexpr NamedCode kOptimizerNames[] = {NNCORE_OPTIMIZERS(NNCORE_NAMED_OPTIMIZER)};
constexpr NamedCode kNonFiniteNames[] = {NNCORE_NONFINITE_POLICIES(NNCORE_NAMED)};
#undef NNCORE_NAMED
#undef NNCORE_NAMED_OPTIMIZER

// The optimizers' hyperparameters besides the learning rate, as Python gives them (double).
struct Hyper {
  double beta, beta1, beta2, epsilon;
};

// Network shape: L layers, dims[0..L] = layers_dims.
struct Shape {
  int L;
  const long* dims;
  int hidden;
  int output;
};

template <class T>
struct ForwardArgs {
  Shape net;
  long m;
  const T* X;
  const T* const* W;  // L
  const T* const* b;  // L
  double keep_prob;
  int mask_mode;
  std::uint64_t seed, step;  // Philox key and counter part (kGenerateMasks)
  T* const* Z;               // L outputs, (n_l, m)
  T* const* A;               // L outputs, activation before dropout; A[L-1] = AL
  T* const* D;               // L-1 hidden masks: read (kGivenMasks) or written (kGenerateMasks)
                             // (layer l's mask is keyed by layer index l, 1-based)
  T* const* Adrop;           // L-1 hidden outputs after dropout (unused without dropout)
};

template <class T>
struct BackwardArgs {
  Shape net;
  long m;
  const T* Y;                 // (n_L, m)
  const T* const* W;          // L
  const T* const* Aprev;      // L, Aprev[0] = X
  const T* const* Z;          // L
  const T* const* A;          // L, A[L-1] = AL
  const T* const* D;          // L-1 masks, or nullptr without dropout
  double lambd, keep_prob;
  T* const* dW;               // L outputs
  T* const* db;               // L outputs
};

template <class T>
struct UpdateArgs {
  int optimizer;
  long n_arrays;
  const long* sizes;
  T* const* P;         // parameters, updated in place
  const T* const* G;   // gradients
  T* const* V;         // the kStateV slot (in place), nullptr when the optimizer keeps none
  T* const* S;         // the kStateS slot (in place), nullptr when the optimizer keeps none
  T* const* Vc;        // Adam bias-corrected outputs, may be nullptr
  T* const* Sc;
  double learning_rate, beta, beta1, beta2, epsilon;
  long t;  // Adam step, already incremented
};

// Called between steps, with the parameters consistent: after every `callback_every`-th epoch
// (periodic = 1) and whenever `hook_seconds` have passed since the last call (periodic = 0).
// A nonzero return stops training at once; the epochs completed so far are kept.
using TrainHook = int (*)(void* ctx, long epochs_done, double last_cost, int periodic);

// The training loop's settings: everything of one call but the network and its arrays,
// X(type, name, what). Each entry makes a field of TrainConfig and of its Python binding
// (nncore._core.TrainConfig, built by keyword), so the list is written once.
#define NNCORE_TRAIN_CONFIG(X)                                                                   \
  X(int, optimizer, "Optimizer code (nncore._core.optimizers).")                                   \
  X(long, mini_batch_size, "Examples per minibatch; <= 0: full batch, no shuffle.")                \
  X(long, num_epochs, "Epochs of this call.")                                                      \
  X(std::uint32_t, shuffle_seed, "Epoch e (0-based, this call) shuffles with seed + e + 1.")       \
  X(double, lambd, "L2 regularization strength.")                                                  \
  X(double, keep_prob, "Dropout keep probability of the hidden units.")                            \
  X(double, beta, "Momentum coefficient.")                                                         \
  X(double, beta1, "Adam's first-moment decay.")                                                   \
  X(double, beta2, "Adam's second-moment decay.")                                                  \
  X(double, epsilon, "Adam's denominator guard.")                                                  \
  X(std::uint64_t, dropout_seed, "Philox key of the dropout masks.")                               \
  X(long, callback_every, "Epochs between periodic hook calls; 0: none.")                          \
  X(double, hook_seconds, "Seconds between time-based hook calls (Ctrl-C checks, progress).")      \
  X(int, on_nonfinite, "NonFinite code (nncore._core.nonfinite_policies).")

#define NNCORE_FIELD(type, name, what) type name;
struct TrainConfig {
  NNCORE_TRAIN_CONFIG(NNCORE_FIELD)
};
#undef NNCORE_FIELD

// One call of the loop: its settings plus the network and the arrays it works on.
template <class T>
struct TrainArgs : TrainConfig {
  Shape net;
  long m, n_x, n_y;
  bool x_rows;  // X is (m, n_x), one example per row (scikit-learn's layout), else (n_x, m)
  const T* X;   // (n_x, m), or (m, n_x) with x_rows
  const T* Y;  // (n_y, m)
  T* theta;    // flat W1, b1, W2, b2, ... (row-major), updated in place
  T* v;        // same layout (kStateV), nullptr when the optimizer keeps no v
  T* s;        // same layout (kStateS), nullptr when the optimizer keeps no s
  const double* learning_rates;  // one per epoch of this call
  std::int64_t* t;               // Adam step counter, in/out
  std::uint64_t* step;           // global step counter keying dropout masks, in/out
  double* costs;                 // one per epoch of this call, out
  TrainHook hook;
  void* hook_ctx;
};

// kDiverged (kStopNonFinite): epoch nonfinite_epoch ended with a non-finite cost, parameters
// or optimizer state (its cost is in costs[nonfinite_epoch]), and theta, v, s, t, step are
// back at the end of epoch epochs_done - 1, the last one whose state, and the cost at that
// state, were finite: epochs_done is nonfinite_epoch, or one less when the cost was already
// non-finite at the state that epoch started from.
enum TrainStatus : int { kDone = 0, kStopped = 1, kDiverged = 2 };

struct TrainResult {
  long epochs_done;
  int status;
  long nonfinite_epoch;  // first epoch (0-based, this call) that ended non-finite, or -1
};

// One table per SIMD target and dtype.
template <class T>
struct Kernels {
  const char* isa;
  void (*forward)(const ForwardArgs<T>&);
  void (*backward)(const BackwardArgs<T>&);
  void (*update)(const UpdateArgs<T>&);
  void (*dropout_mask)(std::uint64_t seed, std::uint64_t step, std::uint32_t layer, long n, long m,
                       double keep_prob, T* out);
  // Mean cost of the output layer over m examples (nan terms skipped, like np.nansum).
  double (*cost)(int output, long n, long m, const T* A, const T* Y);
  // The same cost from the pre-activation Z, finite wherever Z is (what training records).
  double (*cost_from_logits)(int output, long n, long m, const T* Z, const T* Y);
  double (*sum_squares)(long n, const T* x);
  // dZ = dA * g'(z) of a hidden activation, from its output A = g(z) (the mirror's dZ caches).
  void (*hidden_backward)(int hidden, long n, const T* dA, const T* A, T* dZ);
  TrainResult (*train)(const TrainArgs<T>&);
  // The L1 size (bytes) this target's GEMM blocks for: pinned (kernels.cpp), not read off the CPU.
  long gemm_l1_bytes;
};

}  // namespace nncore
