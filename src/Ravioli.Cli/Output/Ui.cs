using System.Text.Json;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Output;

/// <summary>
/// The one place that writes to the user. In <c>--json</c> mode the progress lines, "OK" and tables are
/// dropped so stdout carries nothing but the JSON result.
/// </summary>
internal sealed class Ui(CliEnvironment env)
{
    public bool JsonMode { get; set; }

    /// <summary>A line of progress or information ("Creating org o as admin...").</summary>
    public void Say(string line)
    {
        if (!JsonMode)
        {
            env.Out.WriteLine(line);
        }
    }

    public void Ok() => Say("OK");

    public void Blank() => Say(string.Empty);

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string indent = "")
    {
        if (!JsonMode)
        {
            TablePrinter.Write(env.Out, headers, rows, indent);
        }
    }

    /// <summary>Name/value pairs aligned like cf's <c>target</c> output.</summary>
    public void Fields(IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        if (JsonMode || fields.Count == 0)
        {
            return;
        }

        var width = fields.Max(f => f.Key.Length) + 1;
        foreach (var (name, value) in fields)
        {
            env.Out.WriteLine($"{(name + ":").PadRight(width)}   {value}".TrimEnd());
        }
    }

    /// <summary>The command's result in <c>--json</c> mode; nothing otherwise.</summary>
    public void Result(JsonElement result)
    {
        if (JsonMode)
        {
            env.Out.WriteLine(Json.Pretty(result));
        }
    }

    public void Warn(string message) => env.Err.WriteLine(message);

    /// <summary>
    /// Redraws one progress line in place on stderr, when stderr is a terminal; otherwise nothing, so logs
    /// of scripts are not filled with carriage returns. Finish with <see cref="EndProgress"/>.
    /// </summary>
    public void Progress(string line)
    {
        if (env.IsErrorTerminal)
        {
            env.Err.Write($"\r{line}\u001b[K");
            env.Err.Flush();
        }
    }

    public void EndProgress()
    {
        if (env.IsErrorTerminal)
        {
            env.Err.WriteLine();
        }
    }

    /// <summary>The final state of a progress line: redrawn and ended on a terminal, else printed once as an ordinary line.</summary>
    public void FinishProgress(string line)
    {
        if (env.IsErrorTerminal)
        {
            Progress(line);
            EndProgress();
        }
        else
        {
            Say(line);
        }
    }

    public void Fail(string message)
    {
        env.Err.WriteLine(message);
        env.Err.WriteLine("FAILED");
    }

    /// <summary>
    /// Asks before a destructive step. Without a person at the keyboard there is nobody to ask, so
    /// proceeding needs <c>-f</c>: a script must never delete by accident.
    /// </summary>
    public bool Confirm(string question, bool force)
    {
        if (force)
        {
            return true;
        }

        if (!env.IsInteractive)
        {
            throw new CliException($"{question} Not asking because input is not a terminal. Re-run with -f to confirm.");
        }

        env.Out.Write($"{question} [y/N]: ");
        env.Out.Flush();
        var answer = env.In.ReadLine()?.Trim();
        return answer is not null
            && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>True when there is a person to ask (<see cref="Prompt"/> can get an answer).</summary>
    public bool CanPrompt => env.IsInteractive;

    /// <summary>Asks for a value; null when there is nobody to ask.</summary>
    public string? Prompt(string label, bool secret)
    {
        if (!env.IsInteractive)
        {
            return null;
        }

        env.Out.Write($"{label}> ");
        env.Out.Flush();
        var value = secret && env.ReadSecret is { } readSecret ? readSecret() : env.In.ReadLine();
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
