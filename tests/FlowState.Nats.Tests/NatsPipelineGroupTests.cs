using System.Globalization;
using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>
/// Members of a <see cref="NatsPipelineGroup"/> sharing a partitioned JetStream input (a work-queue stream read through a
/// durable consumer per partition) on a real nats-server, with exactly-once output into another stream.
/// </summary>
[Collection(SharedNatsServer.Name)]
public sealed class NatsPipelineGroupTests(NatsServer server) : IDisposable
{
    private const int Partitions = 4;
    private const int Keys = 24;
    private readonly TemporaryDirectory _directory = new();
    private readonly string _input = $"IN{Guid.NewGuid():N}";
    private readonly string _output = $"OUT{Guid.NewGuid():N}";

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Two_members_split_the_partitions_evenly_and_one_that_leaves_hands_its_partitions_to_the_other_exactly_once()
    {
        await server.CreateWorkQueueStreamAsync(_input);
        await server.CreateStreamAsync(_output);
        await using var a = Member("a");
        await using var b = Member("b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var balanced = WhenAsync(() => a.RunningPartitions.Count == 2 && b.RunningPartitions.Count == 2, a, b);
        var runA = a.RunAsync(stopA.Token);
        var runB = b.RunAsync(stopB.Token);
        await balanced;
        var split = (a.RunningPartitions, b.RunningPartitions);

        await server.PublishPartitionedAsync(_input, Partitions, 300, Keys);
        await server.WaitForMessagesAsync(_output, 300);
        var alone = WhenAsync(() => a.RunningPartitions.Count == Partitions, a);
        await stopB.CancelAsync();
        await runB;
        await alone;
        await server.PublishPartitionedAsync(_input, Partitions, 300, Keys, from: 300);
        await server.WaitForMessagesAsync(_output, 600);
        await stopA.CancelAsync();
        await runA;

        Assert.Empty(split.Item1.Intersect(split.Item2));
        Assert.Empty(b.RunningPartitions);
        Assert.Empty(a.RunningPartitions);
        var lines = (await server.ReadAllAsync(_output)).Select(m => m.Payload).ToList();
        Assert.Equal(SequenceInput.Model(600, Keys), SequenceInput.CheckOutput(lines, 600));
        // Everything was acknowledged once its checkpoint completed: the work-queue stream let go of it all.
        Assert.Equal(0L, (await server.JetStream.GetStreamAsync(_input)).Info.State.Messages);
    }

    [Fact]
    public async Task A_member_killed_with_SIGKILL_has_its_partitions_taken_over_with_nothing_lost_or_duplicated()
    {
        var kills = LoopCounts.FromEnvironment("FLOWSTATE_NATS_GROUP_KILLS", 2);
        await server.CreateWorkQueueStreamAsync(_input);
        await server.CreateStreamAsync(_output);
        var members = new List<CrashHarnessProcess>();
        var killedMembersLog = new List<string>();
        try
        {
            members.Add(await StartMemberAsync(0));
            members.Add(await StartMemberAsync(1));
            foreach (var member in members)
            {
                await member.WaitForLineAsync(line => line.StartsWith("RUNNING ", StringComparison.Ordinal) && line.Length > "RUNNING ".Length, "a running partition");
            }

            var published = 0;
            for (var kill = 0; kill < kills; kill++)
            {
                await server.PublishPartitionedAsync(_input, Partitions, 400, Keys, from: published);
                published += 400;

                // Killed while it works: some of this round's output committed, the rest not yet.
                await WaitForOutputAsync(published - 350, members, killedMembersLog);
                var victim = members[kill % members.Count];
                killedMembersLog.AddRange(await victim.KillAsync());
                victim.Dispose();
                members.Remove(victim);
                members.Add(await StartMemberAsync(kill + 2));
                await WaitForOutputAsync(published, members, killedMembersLog);
            }

            await server.PublishPartitionedAsync(_input, Partitions, 200, Keys, from: published);
            published += 200;
            await WaitForOutputAsync(published, members, killedMembersLog);
            foreach (var member in members)
            {
                await member.KillAsync();
            }

            var lines = (await server.ReadAllAsync(_output)).Select(m => m.Payload).ToList();
            Assert.Equal(SequenceInput.Model(published, Keys), SequenceInput.CheckOutput(lines, published));
        }
        finally
        {
            foreach (var member in members)
            {
                member.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_hosted_member_bound_from_configuration_runs_its_share_while_the_host_runs_and_gives_it_back_when_it_stops()
    {
        await server.CreateWorkQueueStreamAsync(_input);
        await server.CreateStreamAsync(_output);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Group:Group"] = _input,
            ["Group:Partitions"] = "2",
            ["Group:MemberId"] = "hosted",
            ["Group:LeaseTime"] = "00:00:02",
        });
        builder.Services.AddNatsPipelineGroup(server.Url, builder.Configuration.GetSection("Group"), (_, partition) => Pipeline(partition, partitions: 2));
        using var host = builder.Build();
        var group = host.Services.GetRequiredKeyedService<NatsPipelineGroupHostedService>(_input).Group;
        var running = WhenAsync(() => group.RunningPartitions.Count == 2, group);

        await host.StartAsync();
        await running;
        await server.PublishPartitionedAsync(_input, 2, 200, Keys);
        await server.WaitForMessagesAsync(_output, 200);
        await host.StopAsync();

        Assert.Equal("hosted", group.MemberId);
        Assert.Empty(group.RunningPartitions);
        var lines = (await server.ReadAllAsync(_output)).Select(m => m.Payload).ToList();
        Assert.Equal(SequenceInput.Model(200, Keys), SequenceInput.CheckOutput(lines, 200));
        Assert.Equal(0L, (await server.JetStream.GetStreamAsync(_input)).Info.State.Messages);
        var misspelled = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Group"] = "g", ["Partitons"] = "2" }).Build();
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddNatsPipelineGroup(server.Url, misspelled, (_, partition) => Pipeline(partition)));
    }

    [Fact]
    public async Task A_round_whose_call_to_the_bucket_hangs_is_cut_at_the_lease_time_and_the_member_takes_its_share_in_the_next()
    {
        await server.CreateWorkQueueStreamAsync(_input);
        await server.CreateStreamAsync(_output);
        HangingKeysBucket? hanging = null;
        await using var member = new NatsPipelineGroup(server.Connection, Options.Create(new NatsPipelineGroupOptions { Group = _input, Partitions = Partitions, MemberId = "a", LeaseTime = TimeSpan.FromSeconds(2) }), Pipeline)
        {
            DecorateBucket = bucket => HangingKeysBucket.Wrap(bucket, out hanging),
        };
        using var stop = new CancellationTokenSource();
        var running = WhenAsync(() => member.RunningPartitions.Count == Partitions, member);

        var run = member.RunAsync(stop.Token);
        await running;
        await server.PublishPartitionedAsync(_input, Partitions, 100, Keys);
        await server.WaitForMessagesAsync(_output, 100);
        await stop.CancelAsync();
        await run;

        // The first round's listing hung; a later round's did not, and it took every partition.
        Assert.True(hanging!.Listings >= 2);
        var lines = (await server.ReadAllAsync(_output)).Select(m => m.Payload).ToList();
        Assert.Equal(SequenceInput.Model(100, Keys), SequenceInput.CheckOutput(lines, 100));
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_when_the_member_is_made()
    {
        static StreamPipeline None(int partition) => throw new InvalidOperationException("not started");
        var group = Assert.Throws<ArgumentException>(() => new NatsPipelineGroup(server.Connection, Options.Create(new NatsPipelineGroupOptions { Group = "a.b", Partitions = 2 }), None));
        var partitions = Assert.Throws<ArgumentException>(() => new NatsPipelineGroup(server.Connection, Options.Create(new NatsPipelineGroupOptions { Group = "g", Partitions = 0 }), None));
        var lease = Assert.Throws<ArgumentException>(() => new NatsPipelineGroup(server.Connection, Options.Create(new NatsPipelineGroupOptions { Group = "g", Partitions = 2, LeaseTime = TimeSpan.FromMilliseconds(100) }), None));

        Assert.Contains("cannot name a NATS group", group.Message, StringComparison.Ordinal);
        Assert.Contains("at least 1 partition", partitions.Message, StringComparison.Ordinal);
        Assert.Contains("too short", lease.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_that_cannot_reach_the_server_says_so_instead_of_blaming_JetStream()
    {
        await using var group = new NatsPipelineGroup(NatsServer.UnreachableUrl(), new NatsPipelineGroupOptions { Group = _input, Partitions = 1 }, Pipeline);

        var error = await Assert.ThrowsAsync<StreamException>(() => group.RunAsync(CancellationToken.None));

        Assert.Contains("cannot reach the NATS server", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectTimeout", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("needs JetStream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_on_a_server_without_JetStream_is_told_the_server_needs_it()
    {
        using var serverDirectory = new TemporaryDirectory();
        var port = await TestServerScripts.StartAsync("start-nats.sh", serverDirectory.Path, "--no-jetstream");
        try
        {
            await using var group = new NatsPipelineGroup($"nats://127.0.0.1:{port}", new NatsPipelineGroupOptions { Group = _input, Partitions = 1 }, Pipeline);

            var error = await Assert.ThrowsAsync<StreamException>(() => group.RunAsync(CancellationToken.None));

            Assert.Contains("needs JetStream (-js)", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("cannot reach", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await TestServerScripts.RunAsync("stop-nats.sh", serverDirectory.Path);
        }
    }

    // Waits for the output stream to hold count messages; when it does not, the failure carries what the member
    // processes logged (claims, releases, failed pipelines), which is all there is to tell why afterwards.
    private async Task WaitForOutputAsync(int count, List<CrashHarnessProcess> members, List<string> killedMembersLog)
    {
        try
        {
            await server.WaitForMessagesAsync(_output, count);
        }
        catch (TimeoutException stalled)
        {
            var log = new List<string>(killedMembersLog);
            foreach (var member in members)
            {
                log.AddRange(await member.KillAsync());
            }

            var lines = log.Where(line => line.StartsWith("LOG ", StringComparison.Ordinal)).TakeLast(200);
            throw new TimeoutException($"{stalled.Message}; the members logged:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}", stalled);
        }
    }

    // Completes when the condition holds, checked whenever one of the members' running partitions change.
    private static Task WhenAsync(Func<bool> condition, params NatsPipelineGroup[] members)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var member in members)
        {
            member.RunningPartitionsChanged += (_, _) =>
            {
                if (condition())
                {
                    done.TrySetResult();
                }
            };
        }

        return done.Task.WaitAsync(CrashHarnessProcess.ProgressTimeout);
    }

    private NatsPipelineGroup Member(string id) =>
        new(server.Connection, Options.Create(new NatsPipelineGroupOptions { Group = _input, Partitions = Partitions, MemberId = id, LeaseTime = TimeSpan.FromSeconds(2) }), Pipeline);

    private StreamPipeline Pipeline(int partition) => Pipeline(partition, Partitions);

    private StreamPipeline Pipeline(int partition, int partitions) =>
        new StreamPipelineBuilder($"{_input}-p{partition}-of{partitions}")
            .AddSource(new NatsJetStreamSource("input", server.Connection, _input) { FilterSubject = $"{_input}.p{partition}", DurableConsumer = $"{_input}-p{partition}" })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new NatsJetStreamSink("out", server.Connection, $"{_output}.p{partition}"))
            .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File($"p{partition}")), TimeSpan.FromMilliseconds(50))
            .Configure(o => o.ExactlyOnce = true)
            .Build();

    private Task<CrashHarnessProcess> StartMemberAsync(int id) =>
        CrashHarnessProcess.StartAsync(
            "nats-group",
            server.Url,
            _input,
            _output,
            Partitions.ToString(CultureInfo.InvariantCulture),
            _directory.File("checkpoints"),
            $"m{id}",
            "2000");
}
