namespace Ravioli.Store; public static class Placeholder {}
