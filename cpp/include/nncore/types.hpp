// Plain types shared by every translation unit. Nothing here holds code: the kernels are
// compiled once per SIMD target (cpp/src/kernels.cpp), and only these PODs -- raw pointers and
// sizes -- cross the dispatch boundary, so no Eigen or std template is shared between targets.
#pragma once

#include <cstdint>

namespace nncore {

enum Hidden : int { kRelu = 0, kTanh = 1 };
enum Output : int { kSigmoid = 0, kSoftmax = 1, kIdentity = 2 };
enum Optimizer : int { kGD = 0, kMomentum = 1, kAdam = 2 };
enum MaskMode : int { kNoDropout = 0, kGivenMasks = 1, kGenerateMasks = 2 };
// What the training loop does when an epoch ends with a non-finite cost or state:
// nothing, report the first such epoch and go on, or stop there and restore the last finite state.
enum NonFinite : int { kIgnoreNonFinite = 0, kReportNonFinite = 1, kStopNonFinite = 2 };

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
  T* const* V;         // momentum velocity / Adam first moment (in place), unused for gd
  T* const* S;         // Adam second moment (in place)
  T* const* Vc;        // Adam bias-corrected outputs, may be nullptr
  T* const* Sc;
  double learning_rate, beta, beta1, beta2, epsilon;
  long t;  // Adam step, already incremented
};

// Called between steps, with the parameters consistent: after every `callback_every`-th epoch
// (periodic = 1) and whenever `hook_seconds` have passed since the last call (periodic = 0).
// A nonzero return stops training at once; the epochs completed so far are kept.
using TrainHook = int (*)(void* ctx, long epochs_done, double last_cost, int periodic);

template <class T>
struct TrainArgs {
  Shape net;
  int optimizer;
  long m, n_x, n_y;
  const T* X;  // (n_x, m)
  const T* Y;  // (n_y, m)
  T* theta;    // flat W1, b1, W2, b2, ... (row-major), updated in place
  T* v;        // same layout (momentum / Adam), may be nullptr for gd
  T* s;        // same layout (Adam), may be nullptr
  long mini_batch_size;    // <= 0: full batch, no shuffle
  long num_epochs;
  std::uint32_t shuffle_seed;  // epoch e (0-based, this call) shuffles with shuffle_seed + e + 1
  double lambd, keep_prob, beta, beta1, beta2, epsilon;
  const double* learning_rates;  // one per epoch of this call
  std::int64_t* t;               // Adam step counter, in/out
  std::uint64_t dropout_seed;
  std::uint64_t* step;           // global step counter keying dropout masks, in/out
  double* costs;                 // one per epoch of this call, out
  TrainHook hook;
  void* hook_ctx;
  long callback_every;  // 0: no periodic call
  double hook_seconds;  // time-based call (interrupt checks, progress)
  int on_nonfinite;     // NonFinite
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
  TrainResult (*train)(const TrainArgs<T>&);
};

}  // namespace nncore
