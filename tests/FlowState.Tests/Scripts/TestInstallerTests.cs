using FlowState.Conformance;

namespace FlowState.Tests.Scripts;

/// <summary>The test command's installer (<c>scripts/lib/install.sh</c>) as a user without root meets it.</summary>
public sealed class TestInstallerTests
{
    [Fact]
    public async Task Without_root_every_missing_package_is_named_in_one_message_and_nothing_is_installed()
    {
        // A copy the unprivileged user can read: a fresh clone may live in a folder only root can enter.
        var installer = Path.Combine(Path.GetTempPath(), $"flowstate-install-test-{Guid.NewGuid():N}.sh");
        File.Copy(Path.Combine(TestServerScripts.RepositoryRoot, "scripts", "lib", "install.sh"), installer);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(installer, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var lockFile = installer + ".lock";
        var script = $"FLOWSTATE_INSTALL_LOCK='{lockFile}'; source '{installer}'; require_debian_packages fake-one:/nonexistent/bin/fake fake-two:no-such-command bash:bash";
        string[] command = Environment.UserName == "root"
            ? ["runuser", "-u", "nobody", "--", "bash", "-c", script]
            : ["bash", "-c", script];

        int code;
        string output, errors;
        try
        {
            (code, output, errors) = await TestServerScripts.RunProgramAsync(command[0], command[1..]);
        }
        finally
        {
            File.Delete(installer);
            File.Delete(lockFile);
        }

        Assert.True(code == 1, $"exit {code}: {errors}");
        Assert.Equal(string.Empty, output);
        Assert.Contains("error: the tests need these Debian packages, which are not installed: fake-one fake-two", errors, StringComparison.Ordinal);
        Assert.Contains("apt-get install fake-one fake-two", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("bash", errors.Split('\n')[0], StringComparison.Ordinal);
    }
}
