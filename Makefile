# Two commands matter: `make demo` (the main experiment) and `make test`. Both install first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch goes in first and pinned: on a machine without torch an open range pulls a multi-GB
# CUDA build. Set TORCH=torch (or a CUDA wheel spec) to choose your own.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.neurosim-installed
JOBS ?= 2

.PHONY: install demo control memory memory-window language invariance invariance-angle optimization generalization credit-assignment weight-dependence activity test test-all bench bench-rl bench-gpu lint clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev,ray,text]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/neurosim run experiments/quickstart.toml --jobs $(JOBS)

# Deep RL agents against the spiking agent on CartPole and Acrobot (about 20 min on 2 cores).
control: install
	$(VENV)/bin/neurosim run experiments/control.toml --jobs $(JOBS)

# rnn, gru, lstm, an echo-state network and a spiking reservoir on adding, copy and the digits
# read as sequences (30 min on 2 cores, measured 29:46 from cold caches).
memory: install
	$(VENV)/bin/neurosim run experiments/memory.toml --jobs $(JOBS)

# Memory capacity of an echo-state network and a spiking reservoir against their recurrent weight
# scale: the fading-memory window (about 2 min on 2 cores).
memory-window: install
	$(VENV)/bin/neurosim run experiments/memory_window.toml --jobs $(JOBS)

# Kneser-Ney n-grams against rnn, gru and lstm language models on text from a source with a known
# entropy (the perplexity floor) and on gensim's Wikipedia sample (about 45 min on 2 cores).
language: install
	$(VENV)/bin/neurosim run experiments/language.toml --jobs $(JOBS)

# cnn and a spatial transformer (stn) against mlp, logreg and stdp-wta on digits rotated, scaled
# and shifted on a 32x32 canvas, after Jaderberg et al. 2015 (about 30 min on 2 cores).
invariance: install
	$(VENV)/bin/neurosim run experiments/invariance.toml --jobs $(JOBS)

# Accuracy against the largest rotation the digits are drawn with, for every learner.
invariance-angle: install
	$(VENV)/bin/neurosim run experiments/invariance_angle.toml --jobs $(JOBS)

# The optimization lab: six optimizers on 2-D test functions, loss landscapes and Hessians of a
# trained MLP, optimizers compared on digits and Wilson et al.'s trap for adaptive methods.
optimization: install
	$(VENV)/bin/neurosim run experiments/optimization.toml --jobs $(JOBS)

# The generalization lab: capacity, double descent, memorisation of random labels and
# regularisers, for backprop and plasticity learners on the same splits.
generalization: install
	$(VENV)/bin/neurosim run experiments/generalization.toml --jobs $(JOBS)

# The credit-assignment spectrum on one network: STDP, Krotov-Hopfield, a three-factor rule,
# direct and plain feedback alignment, and backprop on the digits (about 4 min on 2 cores).
credit-assignment: install
	$(VENV)/bin/neurosim run experiments/credit_assignment.toml --jobs $(JOBS)

# Pair STDP from additive to multiplicative weight dependence (Gutig et al.'s mu swept) on digits,
# with each rule's windows at three weights and stationary weight distribution (7.5 min on 2
# cores measured from cold caches, 3 min with the circuits and characterisations cached).
weight-dependence: install
	$(VENV)/bin/neurosim run experiments/weight_dependence.toml --jobs $(JOBS)

# Activity analysed alike for spiking and backprop learners: elephant spike statistics, RDMs and
# CKA on the same probe digits, learned weights as graphs, cost per sample.
activity: install
	$(VENV)/bin/neurosim run experiments/activity.toml --jobs $(JOBS)

test: install
	$(PY) -m pytest -q -m "not slow"

test-all: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/stdp_wta_speed.py

# Stable-Baselines3 is installed for this benchmark only; it is not a neurosim dependency.
bench-rl: install
	$(PY) -c "import stable_baselines3" 2>/dev/null || $(PY) -m pip install --quiet stable-baselines3
	$(PY) benchmarks/rl_vs_sb3.py

# Each torch learner's training step on cpu and (when present) cuda: run it on a GPU machine.
bench-gpu: install
	$(PY) benchmarks/gpu_check.py

lint: install
	$(VENV)/bin/ruff check neurosim tests benchmarks

clean:
	rm -rf results .pytest_cache
