using System.Diagnostics;
using System.Globalization;
using System.Net;
using FlowState.Flows;
using FlowState.Inspector;

namespace FlowState.Benchmarks.Inspector;

/// <summary>
/// Latency of the inspector's list and browse calls over a large store (by default 100,000 completed runs with their
/// history and 1,000,000 keys in all), through a real Kestrel server on 127.0.0.1, one call at a time: p50 and p95
/// per call, beside <c>GET info</c> (the server's floor: no store work) measured in the same run. The issue's goal
/// is p95 ≤ 100 ms. <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- inspector [--quick] [--runs n]</c>.
/// </summary>
internal static class InspectorBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var runsIndex = Array.IndexOf(args, "--runs");
        var runs = runsIndex >= 0 && runsIndex + 1 < args.Length ? int.Parse(args[runsIndex + 1], CultureInfo.InvariantCulture) : quick ? 10_000 : 100_000;
        var totalKeys = runs * 10;
        var calls = quick ? 10 : 30;

        await using var store = new StateStore();
        var runner = new FlowRunner(store, new FlowRunnerOptions { RetainCompletedRuns = true, History = new FlowHistoryOptions() });
        var flow = new FlowBuilder("order").Sequence(
            Node.Create("fetch", async (state, _) =>
            {
                await state.SetAsync("items", new[] { 1, 2, 3 });
                return null;
            }),
            Node.Create("price", async (state, _) =>
            {
                await state.SetAsync("total", 6);
                return null;
            })).Build();
        var building = Stopwatch.StartNew();
        await Parallel.ForAsync(0, runs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (i, cancellationToken) =>
            await runner.RunAsync(flow, new { customer = i }, new FlowRunOptions { RunId = string.Create(CultureInfo.InvariantCulture, $"order-{i:D6}") }, cancellationToken));
        var filler = store.For(StateScope.Custom("data"));
        var missing = totalKeys - (int)store.GetStatistics().Entries;
        for (var i = 0; i < missing; i += 1000)
        {
            var batch = filler.CreateBatch();
            for (var j = i; j < Math.Min(missing, i + 1000); j++)
            {
                batch.Set(string.Create(CultureInfo.InvariantCulture, $"key-{j:D7}"), j);
            }

            await filler.ApplyAsync(batch);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"store: {runs:N0} runs, {store.GetStatistics().Entries:N0} keys, built in {building.Elapsed.TotalSeconds:F0} s"));

        await using var server = await FlowStateInspectorServer.StartAsync(new InspectedStore(store, runner), new IPEndPoint(IPAddress.Loopback, 0), options => options.AccessToken = "bench");
        using var client = new HttpClient { BaseAddress = new Uri(server.Address, "api/v1/"), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Add("X-FlowState-Token", "bench");

        var middle = string.Create(CultureInfo.InvariantCulture, $"order-{runs / 2:D6}");
        var paths = new (string Name, string Path)[]
        {
            ("info (floor)", "info"),
            ("runs, first page", "runs?limit=50"),
            ("runs, a late page", string.Create(CultureInfo.InvariantCulture, $"runs?limit=50&offset={runs - 50}")),
            ("runs of one status", "runs?status=failed"),
            ("a run", "runs/" + middle),
            ("a step's state and diff", $"runs/{middle}/steps/2"),
            ("scopes under global", "scopes?limit=50"),
            ("keys of a scope (prefix search)", "keys?scope=custom:data:&prefix=key-05&limit=50"),
            ("keys of a run", $"keys?scope=workflow:{middle}:"),
            ("a key", "key?scope=custom:data:&key=key-0000042"),
            ("statistics", "statistics"),
        };
        // The first listing builds the store's run index (one pass over every run's record); later ones use it.
        var firstListing = Stopwatch.GetTimestamp();
        using (var first = await client.GetAsync("runs?limit=50"))
        {
            first.EnsureSuccessStatusCode();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first runs listing (builds the run index): {Stopwatch.GetElapsedTime(firstListing).TotalMilliseconds:F0} ms"));
        Console.WriteLine("| call | p50 ms | p95 ms | goal p95 ≤ 100 ms |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, path) in paths)
        {
            using (var warm = await client.GetAsync(path))
            {
                warm.EnsureSuccessStatusCode();
            }

            var samples = new List<double>();
            for (var i = 0; i < calls; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            samples.Sort();
            var p50 = samples[samples.Count / 2];
            var p95 = samples[(int)Math.Ceiling(samples.Count * 0.95) - 1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {p50:F1} | {p95:F1} | {(name.EndsWith("(floor)", StringComparison.Ordinal) ? "—" : p95 <= 100 ? "met" : "missed")} |"));
        }

        return 0;
    }
}
