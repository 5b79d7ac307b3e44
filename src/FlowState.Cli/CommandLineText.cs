using System.Text;

namespace FlowState.Cli;

/// <summary>Checks the process's raw command-line arguments for invalid UTF-8 (Linux: <c>/proc/self/cmdline</c>).</summary>
internal static class CommandLineText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The index in <paramref name="args"/> of the first argument whose raw bytes are not UTF-8, or null.</summary>
    public static int? FirstInvalidArgument(string[] args)
    {
        if (!OperatingSystem.IsLinux() || args.Length == 0)
        {
            return null;
        }

        byte[] raw;
        try
        {
            raw = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (IOException)
        {
            return null;
        }

        // NUL-separated, ending with a NUL; the program's own arguments are the last args.Length of them.
        var parts = new List<ArraySegment<byte>>();
        var start = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == 0)
            {
                parts.Add(new ArraySegment<byte>(raw, start, i - start));
                start = i + 1;
            }
        }

        if (parts.Count < args.Length)
        {
            return null;
        }

        for (var i = 0; i < args.Length; i++)
        {
            try
            {
                _ = StrictUtf8.GetCharCount(parts[parts.Count - args.Length + i]);
            }
            catch (DecoderFallbackException)
            {
                return i;
            }
        }

        return null;
    }
}
