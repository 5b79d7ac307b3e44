using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- durable [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- flows [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- peers [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- shared [--quick]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- nats [--quick]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- open [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- backups [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- af-checkpoints [--quick] [--dir path]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- inspector [--quick] [--runs n]
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- fsync [--dir path]    (the disk's raw fsync rate)
// dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- --quick --filter '*'  (BenchmarkDotNet, quick job)
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

if (args is ["open", ..])
{
    return await FlowState.Benchmarks.Durable.OpenBenchmarks.RunAsync(args[1..]);
}

if (args is ["backups", ..])
{
    return await FlowState.Benchmarks.Durable.BackupCatalogBenchmarks.RunAsync(args[1..]);
}

if (args is ["nats", ..])
{
    return await FlowState.Benchmarks.Nats.NatsPipelineBenchmarks.RunAsync(args[1..]);
}

if (args is ["flows", ..])
{
    return await FlowState.Benchmarks.Flows.DurableFlowBenchmarks.RunAsync(args[1..]);
}

if (args is ["af-checkpoints", ..])
{
    return await FlowState.Benchmarks.AgentFramework.AgentFrameworkCheckpointBenchmarks.RunAsync(args[1..]);
}

if (args is ["inspector", ..])
{
    return await FlowState.Benchmarks.Inspector.InspectorBenchmarks.RunAsync(args[1..]);
}

if (args is ["flow-sample", ..])
{
    // One FlowState sample of the peers harness in a process of its own, as each peer sample is.
    return await FlowState.Benchmarks.Peers.PeerFlowBenchmarks.RunFlowStateSampleAsync(args[1..]);
}

if (args is ["fsync", ..])
{
    var root = FlowState.Benchmarks.ChildProcess.HarnessDirectory(args, "fsync");
    var samples = Enumerable.Range(0, 3).Select(_ => FlowState.Benchmarks.Durable.DurableBenchmarks.RawFsync(root, 300)).ToList();
    var median = new FlowState.Benchmarks.Durable.Measurement("µs", samples).Median;
    Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"fsync of a 4 KiB append: {median:N0} µs = {1e6 / median:N0}/s (median of 3 × 300)"));
    return 0;
}

var quick = args.Contains("--quick");
BenchmarkSwitcher.FromAssembly(typeof(FlowState.Benchmarks.BenchmarkConfig).Assembly)
    .Run([.. args.Where(a => a != "--quick")], quick ? FlowState.Benchmarks.BenchmarkConfig.Quick() : new FlowState.Benchmarks.BenchmarkConfig());
return 0;
