namespace Ravioli.Cli;

/// <summary>A failure the user can act on; its message is shown as is, never with a stack trace.</summary>
internal class CliException : Exception
{
    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliException()
    {
    }
}
