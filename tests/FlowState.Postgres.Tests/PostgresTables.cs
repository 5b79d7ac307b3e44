using System.Security.Cryptography;
using System.Text;

namespace FlowState.Postgres.Tests;

/// <summary>Maps the conformance suites' storage paths to table names: the same path, the same table.</summary>
internal static class PostgresTables
{
    public static string For(string path) =>
        "fs_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..28];
}
