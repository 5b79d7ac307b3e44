using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- durable [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- flows [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- peers [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- shared [--quick]
if (args is ["durable", ..])
{
    return await FlowState.Benchmarks.Durable.DurableBenchmarks.RunAsync(args[1..]);
}

if (args is ["streams", ..])
{
    return await FlowState.Benchmarks.Streaming.StreamBenchmarks.RunAsync(args[1..]);
}

if (args is ["peers", ..])
{
    return await FlowState.Benchmarks.Peers.PeerFlowBenchmarks.RunAsync(args[1..]);
}

if (args is ["shared", ..])
{
    return await FlowState.Benchmarks.Shared.SharedStateBenchmarks.RunAsync(args[1..]);
}

if (args is ["flows", ..])
{
    return await FlowState.Benchmarks.Flows.DurableFlowBenchmarks.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(FlowState.Benchmarks.BenchmarkConfig).Assembly).Run(args, new FlowState.Benchmarks.BenchmarkConfig());
return 0;
