package io.svcreg.core.rollout;

/** A line a decision asks the loop to log about its service ({@code warning} or not). */
public record Note(boolean warning, String text) {}
