"""The processor's model name from /proc/cpuinfo, for the benchmarks'
reports ("?" when it cannot be read)."""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "?"
