namespace Ravioli.Staging.Droplets;

/// <summary>An archive (droplet .tgz or buildpack .zip) that would write outside its target or is too big.</summary>
public sealed class ArchiveRejectedException : IOException
{
    public ArchiveRejectedException(string message)
        : base(message)
    {
    }

    public ArchiveRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
