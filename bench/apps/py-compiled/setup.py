from setuptools import Extension, setup

setup(
    name="fastsum",
    version="1.0",
    packages=["fastsum"],
    package_dir={"": "src"},
    ext_modules=[Extension("fastsum._speedups", ["src/fastsum/_speedups.c"])],
)
