namespace FlowState.Benchmarks;

/// <summary>Runs the same loop on N threads at once; a benchmark invocation ends when every thread is done.</summary>
internal static class ParallelRunner
{
    public const int OperationsPerThread = 100_000;

    public static void Run(int threads, Action<int> loop)
    {
        if (threads == 1)
        {
            loop(0);
            return;
        }

        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var id = t;
            workers[t] = new Thread(() => loop(id));
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }
    }
}
