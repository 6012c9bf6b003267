namespace Ravioli.Core.Apps;

/// <summary>Desired state of an app, as the v3 API names it.</summary>
public static class AppStates
{
    public const string Stopped = "STOPPED";
    public const string Started = "STARTED";
}
