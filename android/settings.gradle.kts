// The Android shell over the Heirloom Rust library. The Rust workspace is the parent directory;
// app/build.gradle.kts calls cargo there.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "heirloom-android"
include(":app")
