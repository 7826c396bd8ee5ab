"""The host side of plugins: loading them through the entry-point group into a registry, the
hook reference, the plugin report and the `new-plugin` scaffold. (The hooks themselves are
``ganzoo.hookspecs``; the built-in plugin packages live in the repository's plugins/ folder.)"""
