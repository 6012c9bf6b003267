using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ravioli.Testing;

/// <summary>A line the server logged, as a log file would hold it: category, level, message and exception.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, string? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? "" : "\n" + Exception)}";
}

/// <summary>
/// Keeps everything the control plane logs in memory, so tests can check what reaches a log (no secrets, no
/// unhandled errors). The level is the fixture's choice: the server's own configuration still filters other providers.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _lines = new();

    public IReadOnlyCollection<CapturedLog> Lines => _lines;

    /// <summary>Every line, with its structured values and exceptions, as one text to search.</summary>
    public string AllText() => string.Join('\n', _lines.Select(l => l.ToString()));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The structured values too: a sink that stores them (JSON logs) would keep what the message template leaves out.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(' ', pairs.Where(p => p.Key != "{OriginalFormat}").Select(p => $"{p.Key}={p.Value}"))
                : "";
            owner._lines.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception) + (values.Length == 0 ? "" : " | " + values), exception?.ToString()));
        }
    }
}
