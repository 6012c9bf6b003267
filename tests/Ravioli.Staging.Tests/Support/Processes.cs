namespace Ravioli.Staging.Tests.Support;

internal static class Processes
{
    /// <summary>True if the process is gone or a zombie (killed, waiting only to be reaped).</summary>
    public static bool IsDead(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            // Format: pid (comm) state ...; comm may contain spaces, so read after the last ')'.
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is "Z" or "X";
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static async Task<bool> WaitUntilDeadAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsDead(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }
}
