// The control plane runs apps in Linux sandboxes and starts Linux servers for its brokers.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
