using FlowState.Conformance;

namespace FlowState.Tests.Scripts;

/// <summary>The test command's installer (<c>scripts/lib/install.sh</c>) as a user without root meets it.</summary>
public sealed class TestInstallerTests
{
    [Fact]
    public async Task Without_root_every_missing_package_is_named_in_one_message_and_nothing_is_installed()
    {
        var installer = Path.Combine(TestServerScripts.RepositoryRoot, "scripts", "lib", "install.sh");
        var lockFile = Path.Combine(Path.GetTempPath(), $"flowstate-install-test-{Guid.NewGuid():N}.lock");
        var script = $"source '{installer}'; FLOWSTATE_INSTALL_LOCK='{lockFile}'; require_debian_packages fake-one:/nonexistent/bin/fake fake-two:no-such-command bash:bash";
        string[] command = Environment.UserName == "root"
            ? ["runuser", "-u", "nobody", "--", "bash", "-c", script]
            : ["bash", "-c", script];

        var (code, output, errors) = await TestServerScripts.RunProgramAsync(command[0], command[1..]);

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("error: the tests need these Debian packages, which are not installed: fake-one fake-two", errors, StringComparison.Ordinal);
        Assert.Contains("apt-get install fake-one fake-two", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("bash", errors.Split('\n')[0], StringComparison.Ordinal);
    }
}
