namespace FlowState.Benchmarks;

/// <summary>
/// Runs the same loop on N threads at once; a benchmark invocation ends when every thread is done.
/// The calling thread runs loop 0 and long-lived workers run the others: starting threads per invocation (what this
/// did before) cost more than the loops it measured (a 100,000-read invocation takes about 0.5 ms), so a two-thread
/// dictionary read looked three times dearer than it is and hid the store's own two-thread costs. All loops leave
/// one start barrier together, so they really overlap.
/// </summary>
internal static class ParallelRunner
{
    public const int OperationsPerThread = 100_000;

    private static readonly Lock s_gate = new();
    private static readonly List<Worker> s_workers = [];

    public static void Run(int threads, Action<int> loop)
    {
        if (threads == 1)
        {
            loop(0);
            return;
        }

        lock (s_gate)
        {
            while (s_workers.Count < threads - 1)
            {
                s_workers.Add(new Worker(s_workers.Count + 1));
            }

            using var start = new Barrier(threads);
            using var done = new CountdownEvent(threads - 1);
            Exception? failure = null;
            for (var t = 1; t < threads; t++)
            {
                var id = t;
                s_workers[t - 1].Post(() =>
                {
                    try
                    {
                        start.SignalAndWait();
                        loop(id);
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                    finally
                    {
                        done.Signal();
                    }
                });
            }

            start.SignalAndWait();
            loop(0);
            done.Wait();
            if (failure is not null)
            {
                throw new InvalidOperationException("A benchmark thread failed.", failure);
            }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _ready = new(0);
        private Action? _work;

        public Worker(int id)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"benchmark worker {id}" };
            thread.Start();
        }

        public void Post(Action work)
        {
            Volatile.Write(ref _work, work);
            _ready.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _ready.Wait();
                Volatile.Read(ref _work)!();
            }
        }
    }
}
