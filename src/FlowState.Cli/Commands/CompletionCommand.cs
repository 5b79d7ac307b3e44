using System.CommandLine;

namespace FlowState.Cli.Commands;

/// <summary>
/// <c>flowstate completion bash</c>: a script that makes the shell complete commands, options and values by asking
/// flowstate itself (System.CommandLine's <c>[suggest:position]</c> directive), so it always matches this version.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # flowstate completion for bash. Load it with: eval "$(flowstate completion bash)" (e.g. in ~/.bashrc).
        # zsh: autoload -U +X bashcompinit && bashcompinit, then the same line.
        _flowstate() {
          local IFS=$'\n'
          COMPREPLY=($(compgen -W "$(flowstate "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _flowstate flowstate
        """;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var shell = new Argument<string>("shell") { Description = "bash (zsh: load it after bashcompinit)" };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", "print a script that makes bash (and zsh with bashcompinit) complete flowstate's commands, options and values") { shell };
        command.SetGuardedAction(output, error, async (_, console, _) =>
        {
            await console.Out.WriteLineAsync(Bash);
            return 0;
        });
        return command;
    }
}
