using System.Text;

namespace Ravioli.Runtime.Local.Logs;

/// <summary>
/// Follows one instance log file from a byte offset. The offset always points at the start of the first line not
/// yet delivered, so an executor that re-adopts the instance continues exactly there (a line may be delivered twice
/// after a crash between delivery and persisting the offset, never lost).
/// </summary>
internal sealed class LogTailer(string path, long offset) : IDisposable
{
    // A line without a newline this long is delivered in pieces, so one chatty app cannot hold memory hostage.
    private const int MaxLineBytes = 64 * 1024;
    private const int MaxReadBytes = 1024 * 1024;

    // Kept open across polls: the file is only ever appended to or truncated during a run, never replaced.
    private FileStream? _file;

    public long Offset { get; private set; } = offset;

    /// <summary>Complete lines written since the last call; with <paramref name="final"/> also a trailing line without newline.</summary>
    public List<string> ReadLines(bool final)
    {
        var lines = new List<string>();
        if (_file is null)
        {
            if (!File.Exists(path))
            {
                return lines;
            }

            _file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }

        if (_file.Length < Offset)
        {
            // Truncated by someone else: start over rather than wait for the file to grow back past the old offset.
            Offset = 0;
        }

        while (true)
        {
            var available = _file.Length - Offset;
            if (available <= 0)
            {
                return lines;
            }

            var buffer = new byte[(int)Math.Min(available, MaxReadBytes)];
            _file.Position = Offset;
            var read = _file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n' || i - start + 1 >= MaxLineBytes)
                {
                    var end = buffer[i] == (byte)'\n' ? i : i + 1;
                    lines.Add(Decode(buffer.AsSpan(start, end - start)));
                    start = i + 1;
                }
            }

            if (final && start < read && read == available)
            {
                lines.Add(Decode(buffer.AsSpan(start, read - start)));
                start = read;
            }

            Offset += start;
            if (read < MaxReadBytes || start == 0)
            {
                return lines;
            }
        }
    }

    /// <summary>
    /// Bounds disk use by the log: once everything is delivered and the file is past <paramref name="maxBytes"/>, it is
    /// truncated. The wrapper appends (O_APPEND), so the app's next write lands at the new start. A line written in the
    /// instant between the size check and the truncation is lost; bounded disk is worth that.
    /// </summary>
    public void TruncateIfLarge(long maxBytes)
    {
        if (Offset < maxBytes || _file is null)
        {
            return;
        }

        if (_file.Length == Offset)
        {
            _file.SetLength(0);
            Offset = 0;
        }
    }

    public void Dispose() => _file?.Dispose();

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
