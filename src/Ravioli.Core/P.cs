namespace Ravioli.Core; public static class Placeholder {}
