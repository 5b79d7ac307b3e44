using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(FlowState.Benchmarks.BenchmarkConfig).Assembly).Run(args, new FlowState.Benchmarks.BenchmarkConfig());
